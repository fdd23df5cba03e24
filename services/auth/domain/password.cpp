#include "domain/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace parley::auth {

PasswordHasher::PasswordHasher(PasswordParams params) : params_(params) {
  if (params_.ops < 2 || params_.memory_kib < 19 * 1024)
    throw std::invalid_argument("Argon2id parameters below the OWASP minimum (t=2, m=19 MiB)");
  dummy_ = hash("parley-dummy-password-for-unknown-users");
}

std::string PasswordHasher::hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params_.ops,
                            params_.memory_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

bool PasswordHasher::verify(std::string_view phc, std::string_view password) const {
  std::string hash(phc);
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHasher::needs_rehash(std::string_view phc) const {
  std::string hash(phc);
  return crypto_pwhash_str_needs_rehash(hash.c_str(), params_.ops, params_.memory_kib * 1024) != 0;
}

void PasswordHasher::burn(std::string_view password) const { (void)verify(dummy_, password); }

}  // namespace parley::auth
