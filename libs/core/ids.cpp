#include "parley/core/ids.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <mutex>

#include "parley/core/time.hpp"

namespace parley::ids {

namespace {
// Random bytes from a per-thread ChaCha20 stream keyed once from the OS: ids are minted on hot
// paths, and a getrandom() system call per id showed in profiles.
void fast_random(unsigned char* out, std::size_t n) {
  struct Stream {
    Stream() { randombytes_buf(key, sizeof key); }
    unsigned char key[crypto_stream_chacha20_KEYBYTES];
    std::uint64_t nonce = 0;
  };
  thread_local Stream stream;
  unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  std::uint64_t counter = stream.nonce++;
  for (std::size_t i = 0; i < sizeof nonce && i < 8; ++i) nonce[i] = static_cast<unsigned char>(counter >> (8 * i));
  crypto_stream_chacha20(out, n, nonce, stream.key);
}
}  // namespace

std::string uuid_v7() {
  static std::mutex mutex;
  static std::int64_t last_ms = 0;
  static std::uint16_t counter = 0;
  std::array<unsigned char, 16> b;
  fast_random(b.data(), b.size());
  std::int64_t ms = time::to_unix_ms(time::now());
  std::uint16_t seq;
  {
    // rand_a holds a 12-bit counter seeded randomly each millisecond, keeping ids ordered.
    std::lock_guard lock(mutex);
    if (ms <= last_ms) {
      ms = last_ms;
      if (++counter > 0xFFF) {
        ++ms;
        counter = 0;
      }
    } else {
      counter = static_cast<std::uint16_t>((b[6] << 8 | b[7]) & 0x7FF);
    }
    last_ms = ms;
    seq = counter;
  }
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>(0x70 | ((seq >> 8) & 0x0F));
  b[7] = static_cast<unsigned char>(seq & 0xFF);
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3F));
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[b[i] >> 4]);
    out.push_back(hex[b[i] & 0xF]);
  }
  return out;
}

bool is_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace parley::ids
