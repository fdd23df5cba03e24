#include "parley/core/time.hpp"

#include <cstdio>
#include <ctime>

namespace parley::time {

TimePoint now() { return std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now()); }
std::int64_t to_unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_unix_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::string format_rfc3339(TimePoint t) {
  std::int64_t ms = to_unix_ms(t);
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int millis = static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  int y, mo, d, h, mi, s, ms = 0;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &y, &mo, &d, &h, &mi, &s, &ms) != 7)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t secs = timegm(&tm);
  return from_unix_ms(static_cast<std::int64_t>(secs) * 1000 + ms);
}

}  // namespace parley::time
