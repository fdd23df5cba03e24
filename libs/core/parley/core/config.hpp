#pragma once
// The one config reader: every setting is a PARLEY_* environment variable, read and validated
// at start-up. A bad value throws ConfigError whose message names the setting.

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace parley::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Listen {
  std::string host;
  std::uint16_t port = 0;
};

std::string get_string(const char* name, const std::string& fallback);
// True when the variable is in the environment, even empty (get_string treats empty as unset).
bool is_set(const char* name);
std::int64_t get_int(const char* name, std::int64_t fallback, std::int64_t min, std::int64_t max);
bool get_bool(const char* name, bool fallback);
// "host:port" (IPv4 address or "localhost"); port 0 picks a free port.
Listen get_listen(const char* name, const std::string& fallback);
Listen parse_listen(const char* name, const std::string& text);

}  // namespace parley::config
