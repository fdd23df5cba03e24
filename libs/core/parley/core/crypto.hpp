#pragma once
// Small wrappers over libsodium: randomness, base64url, hashing, constant-time compare.

#include <optional>
#include <string>
#include <string_view>

namespace parley::crypto {

// Must run once before any other call (idempotent); throws if libsodium cannot start.
void init();
std::string random_bytes(std::size_t n);
// A URL-safe random token of n random bytes (base64url, no padding).
std::string random_token(std::size_t n = 32);
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);
// SHA-256 of data as lowercase hex.
std::string sha256_hex(std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace parley::crypto
