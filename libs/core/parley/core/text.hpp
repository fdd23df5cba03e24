#pragma once
// Validation helpers for user-supplied text.

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::text {

// Number of Unicode code points in valid UTF-8 text.
std::size_t code_points(std::string_view utf8);
bool is_valid_utf8(std::string_view text);
// True if text contains a control character (C0, DEL or C1); newline and tab allowed when asked.
bool has_control_chars(std::string_view utf8, bool allow_newlines = false);
std::string trim(std::string_view text);
std::string ascii_lower(std::string_view text);

}  // namespace parley::text
