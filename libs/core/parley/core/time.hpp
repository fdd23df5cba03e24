#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::time {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::milliseconds>;

TimePoint now();
std::int64_t to_unix_ms(TimePoint t);
TimePoint from_unix_ms(std::int64_t ms);
// RFC 3339 UTC with milliseconds: 2026-11-24T01:02:03.456Z
std::string format_rfc3339(TimePoint t);
std::optional<TimePoint> parse_rfc3339(std::string_view text);

}  // namespace parley::time
