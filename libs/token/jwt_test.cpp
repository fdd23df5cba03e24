#include "parley/token/jwt.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <boost/json/serialize.hpp>

#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"

namespace parley::token {
namespace {

namespace bj = boost::json;

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    verifier.add_key(key.kid(), key.public_key());
  }
  Claims claims(std::int64_t now_s) {
    Claims c;
    c.sub = "user-1";
    c.sid = "session-1";
    c.iss = "parley";
    c.aud = "parley";
    c.iat = now_s;
    c.nbf = now_s;
    c.exp = now_s + 900;
    return c;
  }
  static std::string b64(const bj::object& o) { return crypto::base64url_encode(bj::serialize(o)); }
  bj::object payload(std::int64_t now_s) {
    return {{"sub", "user-1"}, {"sid", "session-1"}, {"iss", "parley"}, {"aud", "parley"},
            {"iat", now_s},    {"exp", now_s + 900}};
  }
  // Signs header.payload with the real Ed25519 key.
  std::string ed25519(const bj::object& header, const bj::object& body) {
    std::string input = b64(header) + "." + b64(body);
    unsigned char sig[crypto_sign_BYTES];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data()));
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(input.data()), input.size(), sk);
    return input + "." + crypto::base64url_encode(std::string(reinterpret_cast<char*>(sig), sizeof sig));
  }
  bool accepted(const std::string& token, std::int64_t now_s) {
    try {
      verifier.verify(token, time::from_unix_ms(now_s * 1000));
      return true;
    } catch (const Error& e) {
      EXPECT_EQ(e.status(), 401);
      EXPECT_EQ(e.code(), "unauthenticated");
      return false;
    }
  }

  std::string seed = std::string(32, '\x07');
  SigningKey key = SigningKey::from_seed("k1", seed);
  Verifier verifier{{}};
  std::int64_t now = 1'800'000'000;
  bj::object header{{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", "k1"}};
};

TEST_F(JwtTest, AcceptsAValidToken) {
  Claims c = verifier.verify(key.sign(claims(now)), time::from_unix_ms(now * 1000));
  EXPECT_EQ(c.sub, "user-1");
  EXPECT_EQ(c.sid, "session-1");
  EXPECT_TRUE(accepted(ed25519(header, payload(now)), now));
}

TEST_F(JwtTest, RejectsAlgNone) {
  bj::object none{{"alg", "none"}, {"typ", "JWT"}, {"kid", "k1"}};
  EXPECT_FALSE(accepted(b64(none) + "." + b64(payload(now)) + ".", now));
  EXPECT_FALSE(accepted(ed25519(none, payload(now)), now));
}

TEST_F(JwtTest, RejectsHmacSignedWithThePublicKey) {
  bj::object hs{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "k1"}};
  std::string input = b64(hs) + "." + b64(payload(now));
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.public_key().data()), key.public_key().size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  EXPECT_FALSE(accepted(input + "." + crypto::base64url_encode(std::string(reinterpret_cast<char*>(mac), sizeof mac)), now));
}

TEST_F(JwtTest, RejectsAlteredPayload) {
  std::string good = key.sign(claims(now));
  auto dot1 = good.find('.');
  auto dot2 = good.find('.', dot1 + 1);
  bj::object forged = payload(now);
  forged["sub"] = "admin";
  EXPECT_FALSE(accepted(good.substr(0, dot1) + "." + b64(forged) + good.substr(dot2), now));
  std::string flipped = good;
  flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(accepted(flipped, now));
}

TEST_F(JwtTest, RejectsExpiredAndNotYetValid) {
  bj::object expired = payload(now - 2000);  // exp = now - 1100, beyond the 30 s leeway
  EXPECT_FALSE(accepted(ed25519(header, expired), now));
  bj::object future = payload(now);
  future["nbf"] = now + 600;
  EXPECT_FALSE(accepted(ed25519(header, future), now));
  bj::object edge = payload(now);
  edge["exp"] = now - 10;  // within leeway
  EXPECT_TRUE(accepted(ed25519(header, edge), now));
}

TEST_F(JwtTest, RejectsWrongAudienceOrIssuer) {
  bj::object aud = payload(now);
  aud["aud"] = "someone-else";
  EXPECT_FALSE(accepted(ed25519(header, aud), now));
  bj::object iss = payload(now);
  iss["iss"] = "evil";
  EXPECT_FALSE(accepted(ed25519(header, iss), now));
  bj::object missing = payload(now);
  missing.erase("aud");
  EXPECT_FALSE(accepted(ed25519(header, missing), now));
}

TEST_F(JwtTest, RejectsUnknownKeyAndOtherSigners) {
  bj::object other_kid = header;
  other_kid["kid"] = "k2";
  EXPECT_FALSE(accepted(ed25519(other_kid, payload(now)), now));
  SigningKey stranger = SigningKey::from_seed("k1", std::string(32, '\x09'));
  EXPECT_FALSE(accepted(stranger.sign(claims(now)), now));
  EXPECT_FALSE(accepted("not.a.jwt", now));
  EXPECT_FALSE(accepted("", now));
  EXPECT_FALSE(accepted(std::string(5000, 'a'), now));
}

TEST_F(JwtTest, CachedTokensStillExpireAndCanBeRevoked) {
  std::string token = key.sign(claims(now));
  EXPECT_TRUE(accepted(token, now));      // verified and cached
  EXPECT_TRUE(accepted(token, now + 1));  // from the cache
  EXPECT_FALSE(accepted(token, now + 2000));  // expired, even though cached
  verifier.revoke_session("session-1", time::from_unix_ms((now + 3600) * 1000));
  EXPECT_FALSE(accepted(token, now + 2));
}

TEST_F(JwtTest, RevokedSessionsAndUsersAreRefused) {
  std::string token = key.sign(claims(now));
  auto t = time::from_unix_ms(now * 1000);
  verifier.revoke_session("session-1", t + std::chrono::hours(1));
  EXPECT_FALSE(accepted(token, now));
  Verifier other({});
  other.add_key(key.kid(), key.public_key());
  other.revoke_user("user-1", t + std::chrono::hours(1));
  EXPECT_THROW(other.verify(token, t), Error);
}

TEST_F(JwtTest, KeyFileIsCreatedPrivateAndReused) {
  std::string path = ::testing::TempDir() + "/parley-key-" + std::to_string(::getpid()) + ".json";
  std::remove(path.c_str());
  SigningKey first = SigningKey::load_or_create(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  SigningKey again = SigningKey::load_or_create(path);
  EXPECT_EQ(first.kid(), again.kid());
  EXPECT_EQ(first.public_key(), again.public_key());
  EXPECT_EQ(first.jwk().at("kty").as_string(), "OKP");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace parley::token
