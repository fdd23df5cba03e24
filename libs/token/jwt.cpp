#include "parley/token/jwt.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"
#include "parley/core/log.hpp"
#include "parley/http/message.hpp"

namespace parley::token {

namespace bj = boost::json;

SigningKey SigningKey::from_seed(std::string kid, std::string seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) throw std::invalid_argument("Ed25519 seed must be 32 bytes");
  SigningKey key;
  key.kid_ = std::move(kid);
  key.seed_ = std::move(seed);
  key.secret_key_.resize(crypto_sign_SECRETKEYBYTES);
  key.public_key_.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(key.public_key_.data()),
                           reinterpret_cast<unsigned char*>(key.secret_key_.data()),
                           reinterpret_cast<const unsigned char*>(key.seed_.data()));
  return key;
}

SigningKey SigningKey::generate() {
  std::string seed = crypto::random_bytes(crypto_sign_SEEDBYTES);
  std::string kid = crypto::sha256_hex(seed).substr(0, 16);
  return from_seed(kid, seed);
}

SigningKey SigningKey::load_or_create(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto value = bj::parse(text.str(), ec);
    if (ec || !value.is_object()) throw std::runtime_error("signing key file " + path + " is not valid JSON");
    const auto& o = value.as_object();
    auto kid = o.if_contains("kid");
    auto seed = o.if_contains("seed");
    if (!kid || !seed || !kid->is_string() || !seed->is_string())
      throw std::runtime_error("signing key file " + path + " lacks kid or seed");
    auto raw = crypto::base64url_decode(seed->as_string());
    if (!raw) throw std::runtime_error("signing key file " + path + " has a bad seed");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077))
      log::warn("signing key file is readable by others; chmod 600 it", {{"path", path}});
    return from_seed(std::string(kid->as_string()), *raw);
  }
  SigningKey key = generate();
  std::string body = bj::serialize(bj::object{{"kid", key.kid_}, {"alg", "EdDSA"},
                                              {"seed", crypto::base64url_encode(key.seed_)}});
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw std::runtime_error("cannot create signing key file " + path);
  bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write signing key file " + path);
  log::info("signing key created", {{"path", path}, {"kid", key.kid_}});
  return key;
}

std::string SigningKey::sign(const Claims& c) const {
  std::string header = crypto::base64url_encode(
      bj::serialize(bj::object{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", kid_}}));
  bj::object payload{{"sub", c.sub}, {"sid", c.sid}, {"iss", c.iss}, {"aud", c.aud},
                     {"iat", c.iat}, {"nbf", c.nbf}, {"exp", c.exp}, {"jti", c.jti}};
  std::string signing_input = header + "." + crypto::base64url_encode(bj::serialize(payload));
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size(), reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return signing_input + "." +
         crypto::base64url_encode(std::string_view(reinterpret_cast<char*>(sig), sizeof sig));
}

bj::object SigningKey::jwk() const {
  return bj::object{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", crypto::base64url_encode(public_key_)},
                    {"kid", kid_},  {"alg", "EdDSA"},   {"use", "sig"}};
}

Verifier::Verifier(Options options) : options_(std::move(options)) {}

void Verifier::add_key(std::string kid, std::string public_key) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) throw std::invalid_argument("Ed25519 public key must be 32 bytes");
  std::lock_guard lock(mutex_);
  keys_[std::move(kid)] = std::move(public_key);
}

namespace {
[[noreturn]] void reject(const char* why) {
  throw Error(401, "unauthenticated", "invalid or expired access token", {}, why);
}
std::optional<bj::object> decode_object(std::string_view part) {
  auto raw = crypto::base64url_decode(part);
  if (!raw) return std::nullopt;
  boost::system::error_code ec;
  auto value = bj::parse(*raw, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}
std::string string_claim(const bj::object& o, const char* key) {
  auto v = o.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty()) reject("missing string claim");
  return std::string(v->as_string());
}
std::optional<std::int64_t> int_claim(const bj::object& o, const char* key) {
  auto v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (!v->is_int64()) reject("numeric claim is not an integer");
  return v->as_int64();
}
}  // namespace

Claims Verifier::verify(std::string_view token, time::TimePoint now) const {
  if (token.empty() || token.size() > 4096) reject("token size");
  std::optional<Claims> cached;
  {
    std::lock_guard lock(mutex_);
    auto hit = verified_.find(std::string(token));
    if (hit != verified_.end()) cached = hit->second;
  }
  if (cached) return check_times(std::move(*cached), now);
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    reject("not three parts");
  auto header = decode_object(token.substr(0, dot1));
  if (!header) reject("bad header");
  auto alg = header->if_contains("alg");
  if (!alg || !alg->is_string() || alg->as_string() != "EdDSA") reject("algorithm not EdDSA");
  if (header->if_contains("crit")) reject("crit header");
  auto typ = header->if_contains("typ");
  if (typ && (!typ->is_string() || typ->as_string() != "JWT")) reject("typ");
  auto kid = header->if_contains("kid");
  if (!kid || !kid->is_string()) reject("no kid");
  std::string public_key;
  {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(std::string_view(kid->as_string()));
    if (it == keys_.end()) reject("unknown kid");
    public_key = it->second;
  }
  auto signature = crypto::base64url_decode(token.substr(dot2 + 1));
  if (!signature || signature->size() != crypto_sign_BYTES) reject("signature size");
  std::string_view signing_input = token.substr(0, dot2);
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature->data()),
                                  reinterpret_cast<const unsigned char*>(signing_input.data()),
                                  signing_input.size(),
                                  reinterpret_cast<const unsigned char*>(public_key.data())) != 0)
    reject("bad signature");
  auto payload = decode_object(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload) reject("bad payload");

  Claims c;
  c.sub = string_claim(*payload, "sub");
  c.sid = string_claim(*payload, "sid");
  c.iss = string_claim(*payload, "iss");
  if (c.iss != options_.issuer) reject("issuer");
  auto aud = payload->if_contains("aud");
  bool aud_ok = false;
  if (aud && aud->is_string()) aud_ok = aud->as_string() == options_.audience;
  if (aud && aud->is_array())
    for (const auto& a : aud->as_array()) aud_ok = aud_ok || (a.is_string() && a.as_string() == options_.audience);
  if (!aud_ok) reject("audience");
  c.aud = options_.audience;
  auto exp = int_claim(*payload, "exp");
  auto iat = int_claim(*payload, "iat");
  if (!exp || !iat) reject("exp and iat required");
  c.exp = *exp;
  c.iat = *iat;
  c.nbf = int_claim(*payload, "nbf").value_or(0);
  if (auto jti = payload->if_contains("jti"); jti && jti->is_string()) c.jti = std::string(jti->as_string());
  c = check_times(std::move(c), now);
  std::lock_guard lock(mutex_);
  if (verified_.size() >= 100'000) verified_.clear();  // bounded; refilled by use
  verified_.emplace(std::string(token), c);
  return c;
}

Claims Verifier::check_times(Claims c, time::TimePoint now) const {
  std::int64_t now_s = time::to_unix_ms(now) / 1000;
  std::int64_t leeway = options_.leeway.count();
  if (now_s >= c.exp + leeway) reject("expired");
  if (c.nbf && now_s + leeway < c.nbf) reject("not yet valid");
  if (now_s + leeway < c.iat) reject("issued in the future");
  if (revoked(c, now)) reject("session revoked");
  return c;
}

Claims Verifier::authenticate(const http::Request& request) const {
  std::string_view value = request.header("authorization");
  if (value.empty()) throw Error::unauthenticated("missing Authorization: Bearer token");
  constexpr std::string_view prefix = "Bearer ";
  if (value.size() <= prefix.size() || !std::equal(prefix.begin(), prefix.end(), value.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      }))
    throw Error::unauthenticated("Authorization header must be 'Bearer <token>'");
  return verify(value.substr(prefix.size()), time::now());
}

namespace {
// Forgets revocations whose tokens have all expired, once the list grows.
void prune(std::unordered_map<std::string, time::TimePoint>& list) {
  if (list.size() < 10'000) return;
  auto now = time::now();
  std::erase_if(list, [&](const auto& kv) { return kv.second <= now; });
}
}  // namespace

void Verifier::revoke_session(const std::string& sid, time::TimePoint until) {
  std::lock_guard lock(mutex_);
  prune(revoked_sessions_);
  revoked_sessions_[sid] = until;
}

void Verifier::revoke_user(const std::string& sub, time::TimePoint until) {
  std::lock_guard lock(mutex_);
  prune(revoked_users_);
  revoked_users_[sub] = until;
}

void Verifier::recheck(const Claims& claims) const { check_times(claims, time::now()); }

bool Verifier::revoked(const Claims& c, time::TimePoint now) const {
  std::lock_guard lock(mutex_);
  auto s = revoked_sessions_.find(c.sid);
  if (s != revoked_sessions_.end() && s->second > now) return true;
  auto u = revoked_users_.find(c.sub);
  // A user revocation covers tokens issued before it (a re-registered id cannot exist: ids are unique).
  return u != revoked_users_.end() && u->second > now;
}

}  // namespace parley::token
