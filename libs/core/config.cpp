#include "parley/core/config.hpp"

#include <charconv>
#include <cstdlib>

namespace parley::config {

namespace {
const char* raw(const char* name) {
  const char* value = std::getenv(name);
  return (value && *value) ? value : nullptr;
}
}  // namespace

std::string get_string(const char* name, const std::string& fallback) {
  const char* value = raw(name);
  return value ? std::string(value) : fallback;
}

bool is_set(const char* name) { return std::getenv(name) != nullptr; }

std::int64_t get_int(const char* name, std::int64_t fallback, std::int64_t min, std::int64_t max) {
  const char* value = raw(name);
  if (!value) return fallback;
  std::string_view text(value);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size())
    throw ConfigError(std::string(name) + " must be an integer, got '" + std::string(text) + "'");
  if (out < min || out > max)
    throw ConfigError(std::string(name) + " must be between " + std::to_string(min) + " and " +
                      std::to_string(max) + ", got " + std::to_string(out));
  return out;
}

bool get_bool(const char* name, bool fallback) {
  const char* value = raw(name);
  if (!value) return fallback;
  std::string_view text(value);
  if (text == "1" || text == "true" || text == "yes") return true;
  if (text == "0" || text == "false" || text == "no") return false;
  throw ConfigError(std::string(name) + " must be true or false, got '" + std::string(text) + "'");
}

Listen parse_listen(const char* name, const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw ConfigError(std::string(name) + " must be host:port, got '" + text + "'");
  Listen listen;
  listen.host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty() || value > 65535)
    throw ConfigError(std::string(name) + " has an invalid port in '" + text + "'");
  listen.port = static_cast<std::uint16_t>(value);
  if (listen.host == "localhost") listen.host = "127.0.0.1";
  return listen;
}

Listen get_listen(const char* name, const std::string& fallback) {
  return parse_listen(name, get_string(name, fallback));
}

}  // namespace parley::config
