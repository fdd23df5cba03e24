#pragma once
// Structured logging: one JSON line per record, written through spdlog. Callers pass fields as a
// JSON object; never put a password, token or message body in one.

#include <boost/json/object.hpp>

#include <string_view>

namespace parley::log {

enum class Level { debug, info, warn, error };

// Reads PARLEY_LOG_LEVEL (debug, info, warn, error; default info). Safe to call more than once.
void init();
void set_level(Level level);
bool enabled(Level level);
void write(Level level, std::string_view message, boost::json::object fields = {});

inline void debug(std::string_view m, boost::json::object f = {}) { write(Level::debug, m, std::move(f)); }
inline void info(std::string_view m, boost::json::object f = {}) { write(Level::info, m, std::move(f)); }
inline void warn(std::string_view m, boost::json::object f = {}) { write(Level::warn, m, std::move(f)); }
inline void error(std::string_view m, boost::json::object f = {}) { write(Level::error, m, std::move(f)); }

}  // namespace parley::log
