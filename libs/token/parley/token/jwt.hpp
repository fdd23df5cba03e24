#pragma once
// Access tokens: JWTs signed with Ed25519 (alg "EdDSA"). Only auth holds a signing key; every
// service verifies locally with the public key and pins the algorithm.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "parley/core/time.hpp"

namespace parley::http {
struct Request;
}

namespace parley::token {

struct Claims {
  std::string sub;  // user id
  std::string sid;  // session id
  std::string iss;
  std::string aud;
  std::string jti;
  std::int64_t iat = 0;  // seconds since the epoch
  std::int64_t nbf = 0;
  std::int64_t exp = 0;
};

class SigningKey {
 public:
  static SigningKey generate();
  // Loads the key at path, or creates it there with mode 0600 when the file does not exist.
  static SigningKey load_or_create(const std::string& path);
  static SigningKey from_seed(std::string kid, std::string seed);

  const std::string& kid() const { return kid_; }
  const std::string& public_key() const { return public_key_; }  // 32 raw bytes
  std::string sign(const Claims& claims) const;
  // {"kty":"OKP","crv":"Ed25519","x":...,"kid":...,"alg":"EdDSA","use":"sig"}
  boost::json::object jwk() const;

 private:
  std::string kid_;
  std::string seed_;
  std::string secret_key_;  // 64 bytes, libsodium layout
  std::string public_key_;
};

// The longest access-token lifetime auth may be configured with (PARLEY_ACCESS_TOKEN_TTL_S).
inline constexpr std::chrono::seconds kMaxAccessTokenLifetime{3600};

class Verifier {
 public:
  struct Options {
    std::string issuer = "parley";
    std::string audience = "parley";
    std::chrono::seconds leeway{30};  // clock skew allowed on exp and nbf
  };
  explicit Verifier(Options options);

  void add_key(std::string kid, std::string public_key);
  // Returns the claims of a valid token; throws Error::unauthenticated otherwise.
  Claims verify(std::string_view token, time::TimePoint now) const;
  // Verifies the request's "Authorization: Bearer" token (and that its session is not revoked).
  Claims authenticate(const http::Request& request) const;
  // For a request that waited (a long poll): throws Error::unauthenticated if its token has
  // expired or its session or user has been revoked since authenticate().
  void recheck(const Claims& claims) const;

  // Refuses tokens of this session (or, with revoke_user, of this user) until they would have
  // expired anyway. Fed by session.revoked and user.deleted events.
  void revoke_session(const std::string& sid, time::TimePoint until);
  void revoke_user(const std::string& sub, time::TimePoint until);
  // How long after a revocation a token it covers may still be presented and pass the time
  // checks: the longest lifetime plus the leeway. A revocation is kept at least this long.
  std::chrono::seconds revocation_horizon() const {
    return kMaxAccessTokenLifetime + options_.leeway;
  }

 private:
  bool revoked(const Claims& claims, time::TimePoint now) const;
  Claims check_times(Claims claims, time::TimePoint now) const;

  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> keys_;  // kid -> public key
  // Tokens whose signature already verified: Ed25519 verification costs ~50 us, and a client
  // presents the same token on every request. Expiry and revocation are still checked each time.
  mutable std::unordered_map<std::string, Claims> verified_;
  std::unordered_map<std::string, time::TimePoint> revoked_sessions_;
  std::unordered_map<std::string, time::TimePoint> revoked_users_;
};

}  // namespace parley::token
