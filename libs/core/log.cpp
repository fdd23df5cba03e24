#include "parley/core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <mutex>

#include "parley/core/config.hpp"
#include "parley/core/time.hpp"

namespace parley::log {

namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = std::make_shared<spdlog::logger>("parley",
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return instance;
}
const char* name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}
}  // namespace

void init() {
  std::string text = config::get_string("PARLEY_LOG_LEVEL", "info");
  if (text == "debug") set_level(Level::debug);
  else if (text == "info") set_level(Level::info);
  else if (text == "warn") set_level(Level::warn);
  else if (text == "error") set_level(Level::error);
  else throw config::ConfigError("PARLEY_LOG_LEVEL must be debug, info, warn or error, got '" + text + "'");
  logger();
}

void set_level(Level level) { g_level = static_cast<int>(level); }
bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void write(Level level, std::string_view message, boost::json::object fields) {
  if (!enabled(level)) return;
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line["ts"] = time::format_rfc3339(time::now());
  line["level"] = name(level);
  line["msg"] = message;
  for (auto& kv : fields) line[kv.key()] = std::move(kv.value());
  logger()->info(boost::json::serialize(line));
}

}  // namespace parley::log
