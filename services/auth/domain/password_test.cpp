#include "domain/password.hpp"

#include <gtest/gtest.h>

#include "parley/core/crypto.hpp"

namespace parley::auth {
namespace {

TEST(PasswordHasher, HashesWithArgon2idAtLeastOwaspMinimum) {
  crypto::init();
  PasswordHasher hasher({});
  std::string phc = hasher.hash("correct horse");
  EXPECT_EQ(phc.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << phc;
  EXPECT_TRUE(hasher.verify(phc, "correct horse"));
  EXPECT_FALSE(hasher.verify(phc, "correct horsf"));
  EXPECT_FALSE(hasher.verify("garbage", "correct horse"));
  EXPECT_NE(hasher.hash("correct horse"), phc);  // salted
  EXPECT_FALSE(hasher.needs_rehash(phc));
}

TEST(PasswordHasher, AsksForRehashWhenParametersRise) {
  crypto::init();
  PasswordHasher weak({.ops = 2, .memory_kib = 19 * 1024});
  PasswordHasher strong({.ops = 3, .memory_kib = 19 * 1024});
  EXPECT_TRUE(strong.needs_rehash(weak.hash("pw-pw-pw-pw")));
}

TEST(PasswordHasher, RefusesParametersBelowTheMinimum) {
  EXPECT_THROW(PasswordHasher({.ops = 1, .memory_kib = 19 * 1024}), std::invalid_argument);
  EXPECT_THROW(PasswordHasher({.ops = 2, .memory_kib = 1024}), std::invalid_argument);
}

}  // namespace
}  // namespace parley::auth
