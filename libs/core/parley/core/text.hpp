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

// Names people see and could impersonate with (display names, group titles, an email's domain).
// Refused: invalid UTF-8; control characters; format characters (Unicode category Cf: bidi
// overrides and isolates, zero-width spaces and joiners, BOM, tag characters) and the other
// default-ignorable code points (Hangul fillers U+115F, U+1160, U+3164, U+FFA0, ...); private-use,
// unassigned and surrogate code points; line and paragraph separators; more than
// kMaxCombiningRun combining marks in a row; and text with nothing visible in it (only spaces,
// marks, U+2800). Kept: variation selectors (emoji presentation) and U+200D ZERO WIDTH JOINER
// between two pictographs (emoji sequences such as a family).
enum class NameIssue {
  none,
  invalid_utf8,
  control,
  invisible_char,
  too_many_marks,
  nothing_visible
};
constexpr int kMaxCombiningRun = 4;
// The NFC form of utf8 and what is wrong with it (none: it may be used as a name).
struct CheckedName {
  std::string nfc;
  NameIssue issue = NameIssue::none;
};
CheckedName check_name(std::string_view utf8);
// Trims, NFC-normalizes and checks a name of 1 to max_chars characters (counted after NFC).
// Throws Error::invalid_argument naming field.
std::string normalize_name(std::string_view utf8, const std::string& field, std::size_t max_chars);

}  // namespace parley::text
