#include "parley/core/text.hpp"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "parley/core/error.hpp"

namespace parley::text {

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    char32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

bool has_control_chars(std::string_view s, bool allow_newlines) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20) {
      if (allow_newlines && (c == '\n' || c == '\t' || c == '\r')) continue;
      return true;
    }
    if (c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size()) {
      unsigned char n = static_cast<unsigned char>(s[i + 1]);
      if (n >= 0x80 && n <= 0x9F) return true;  // C1 controls U+0080..U+009F
    }
  }
  return false;
}

std::string trim(std::string_view t) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
  while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
  return std::string(t);
}

std::string ascii_lower(std::string_view t) {
  std::string out(t);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

namespace {
bool is_mark(utf8proc_category_t c) {
  return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}
bool is_variation_selector(char32_t cp) {
  return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}
bool is_emoji_modifier(char32_t cp) { return cp >= 0x1F3FB && cp <= 0x1F3FF; }
bool pictograph(char32_t cp) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->boundclass ==
         UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC;
}
// A ZERO WIDTH JOINER at i joins two pictographs (what comes before it may carry a variation
// selector or a skin tone).
bool joins_pictographs(const std::vector<char32_t>& cps, std::size_t i) {
  if (i + 1 >= cps.size() || !pictograph(cps[i + 1])) return false;
  std::size_t k = i;
  while (k > 0 && (is_variation_selector(cps[k - 1]) || is_emoji_modifier(cps[k - 1]))) --k;
  return k > 0 && pictograph(cps[k - 1]);
}
bool refused_code_point(const std::vector<char32_t>& cps, std::size_t i) {
  char32_t cp = cps[i];
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
  switch (p->category) {
    case UTF8PROC_CATEGORY_CF:
      return !(cp == 0x200D && joins_pictographs(cps, i));
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return true;
    default:
      return p->ignorable && !is_variation_selector(cp);  // Hangul fillers, U+034F, U+17B4, ...
  }
}
bool visible(char32_t cp) {
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
  auto c = static_cast<utf8proc_category_t>(p->category);
  if (c == UTF8PROC_CATEGORY_ZS || is_mark(c) || p->ignorable) return false;
  return cp != 0x2800;  // BRAILLE PATTERN BLANK: a favourite empty name
}
}  // namespace

CheckedName check_name(std::string_view utf8) {
  CheckedName out;
  if (!is_valid_utf8(utf8)) return {std::string(utf8), NameIssue::invalid_utf8};
  // Before NFC, which reads a NUL-terminated string.
  if (has_control_chars(utf8)) return {std::string(utf8), NameIssue::control};
  std::string input(utf8);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> nfc(
      utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(input.c_str())), &std::free);
  if (!nfc) return {std::move(input), NameIssue::invalid_utf8};
  out.nfc = reinterpret_cast<const char*>(nfc.get());
  std::vector<char32_t> cps;
  const auto* at = reinterpret_cast<const utf8proc_uint8_t*>(out.nfc.data());
  for (utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(out.nfc.size()); left > 0;) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(at, left, &cp);
    if (n <= 0) return {std::move(out.nfc), NameIssue::invalid_utf8};
    cps.push_back(static_cast<char32_t>(cp));
    at += n;
    left -= n;
  }
  int marks = 0;
  bool any_visible = false;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    if (refused_code_point(cps, i)) {
      out.issue = NameIssue::invisible_char;
      return out;
    }
    auto c =
        static_cast<utf8proc_category_t>(utf8proc_category(static_cast<utf8proc_int32_t>(cps[i])));
    marks = is_mark(c) ? marks + 1 : 0;
    if (marks > kMaxCombiningRun) {
      out.issue = NameIssue::too_many_marks;
      return out;
    }
    any_visible = any_visible || visible(cps[i]);
  }
  if (!any_visible) out.issue = NameIssue::nothing_visible;
  return out;
}

std::string normalize_name(std::string_view utf8, const std::string& field, std::size_t max_chars) {
  CheckedName checked = check_name(trim(utf8));
  std::size_t n = code_points(checked.nfc);
  if (checked.issue != NameIssue::invalid_utf8 && (n < 1 || n > max_chars))
    throw Error::invalid_argument(
        field + " must be 1 to " + std::to_string(max_chars) + " characters", field);
  switch (checked.issue) {
    case NameIssue::none:
      return checked.nfc;
    case NameIssue::invalid_utf8:
      throw Error::invalid_argument(field + " must be valid UTF-8", field);
    case NameIssue::control:
      throw Error::invalid_argument(field + " must not contain control characters", field);
    case NameIssue::invisible_char:
      throw Error::invalid_argument(
          field + " must not contain invisible or direction-changing characters", field);
    case NameIssue::too_many_marks:
      throw Error::invalid_argument(field + " must not stack more than " +
                                        std::to_string(kMaxCombiningRun) + " combining marks",
                                    field);
    case NameIssue::nothing_visible:
      throw Error::invalid_argument(field + " must contain something visible", field);
  }
  return checked.nfc;
}

}  // namespace parley::text
