#include "sync/cursor.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "parley/core/error.hpp"

namespace parley::messages {

namespace {
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::string sync_cursor_text(std::string_view epoch, std::int64_t gseq) {
  return std::string(epoch) + ":" + std::to_string(gseq);
}

std::int64_t parse_sync_cursor(std::string_view text, std::string_view epoch_of_log) {
  auto gone = [] {
    return Error::gone("cursor_expired", "cursor too old; reload and sync again without a cursor");
  };
  if (all_digits(text) && text.size() <= 19) throw gone();
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 32)
    throw Error::invalid_argument("cursor is not valid", "cursor");
  std::string_view epoch(text.data(), colon),
      number(text.data() + colon + 1, text.size() - colon - 1);
  std::int64_t gseq = -1;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), gseq);
  if (!all_digits(number) || ec != std::errc() || end != number.data() + number.size() ||
      !std::all_of(epoch.begin(), epoch.end(),
                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    throw Error::invalid_argument("cursor is not valid", "cursor");
  if (epoch != epoch_of_log) throw gone();
  return gseq;
}

}  // namespace parley::messages
