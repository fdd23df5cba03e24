#pragma once
// Argon2id password hashing through libsodium, as PHC strings. CPU- and memory-heavy: call only
// from a worker pool, never from an I/O thread.

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::auth {

struct PasswordParams {
  unsigned long long ops = 2;          // Argon2 t (iterations); OWASP minimum 2
  std::size_t memory_kib = 19 * 1024;  // Argon2 m; OWASP minimum 19 MiB
};

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordParams params);
  std::string hash(std::string_view password) const;
  bool verify(std::string_view phc, std::string_view password) const;
  // True when phc was made with weaker parameters than the current ones.
  bool needs_rehash(std::string_view phc) const;
  // Verifies against a fixed hash: makes an unknown user cost what a known one does.
  void burn(std::string_view password) const;

 private:
  PasswordParams params_;
  std::string dummy_;
};

}  // namespace parley::auth
