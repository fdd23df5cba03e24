#include "parley/core/text.hpp"

#include <gtest/gtest.h>

#include "parley/core/config.hpp"
#include "parley/core/error.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/time.hpp"

namespace parley {
namespace {

TEST(Text, Utf8Validation) {
  struct Case { std::string s; bool valid; };
  const std::vector<Case> cases = {
      {"plain", true}, {"h\xc3\xa9llo", true}, {"\xe4\xbd\xa0\xe5\xa5\xbd", true},
      {"\xf0\x9f\x98\x80", true}, {"\xff", false}, {"\xc3", false}, {"\xc0\xaf", false},
      {"\xed\xa0\x80", false},  // surrogate
      {"\xf4\x90\x80\x80", false},  // beyond U+10FFFF
  };
  for (const auto& c : cases) EXPECT_EQ(text::is_valid_utf8(c.s), c.valid) << c.s;
}

TEST(Text, CountsCodePointsAndControls) {
  EXPECT_EQ(text::code_points("h\xc3\xa9\xf0\x9f\x98\x80"), 3u);
  EXPECT_TRUE(text::has_control_chars("a\x01"));
  EXPECT_TRUE(text::has_control_chars("a\nb"));
  EXPECT_FALSE(text::has_control_chars("a\nb", true));
  EXPECT_TRUE(text::has_control_chars("a\xc2\x85"));  // U+0085
  EXPECT_EQ(text::trim("  x y \n"), "x y");
}

TEST(Text, NamesRefuseInvisibleAndDirectionChangingCharacters) {
  using text::NameIssue;
  std::string stacked = "x";  // no precomposed x with an acute: NFC leaves every mark
  for (int i = 0; i < 5; ++i) stacked += "\xcc\x81";  // five U+0301 on one letter
  std::string four = "x";
  for (int i = 0; i < 4; ++i) four += "\xcc\x81";
  struct Case {
    const char* why;
    std::string in;
    NameIssue issue;
  };
  const std::vector<Case> cases = {
      {"plain", "Alice", NameIssue::none},
      {"accents, CJK, Arabic",
       "Ren\xc3\xa9"
       "e \xe4\xbd\xa0\xe5\xa5\xbd \xd8\xb9\xd9\x84\xd9\x8a",
       NameIssue::none},
      {"an emoji with VS16", "\xe2\x9d\xa4\xef\xb8\x8f", NameIssue::none},
      {"a family emoji (ZWJ between pictographs)",
       "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", NameIssue::none},
      {"a skin-toned emoji joined", "\xf0\x9f\x91\xa9\xf0\x9f\x8f\xbd\xe2\x80\x8d\xf0\x9f\x92\xbb",
       NameIssue::none},
      {"four combining marks", four, NameIssue::none},
      {"U+202E RIGHT-TO-LEFT OVERRIDE", "admin\xe2\x80\xae", NameIssue::invisible_char},
      {"U+2066 LEFT-TO-RIGHT ISOLATE",
       "a\xe2\x81\xa6"
       "b",
       NameIssue::invisible_char},
      {"U+200F RIGHT-TO-LEFT MARK", "a\xe2\x80\x8f", NameIssue::invisible_char},
      {"U+200B ZERO WIDTH SPACE", "ad\xe2\x80\x8bmin", NameIssue::invisible_char},
      {"U+200D between letters",
       "a\xe2\x80\x8d"
       "b",
       NameIssue::invisible_char},
      {"U+FEFF BOM",
       "\xef\xbb\xbf"
       "bob",
       NameIssue::invisible_char},
      {"U+00AD SOFT HYPHEN",
       "bo\xc2\xad"
       "b",
       NameIssue::invisible_char},
      {"U+3164 HANGUL FILLER", "\xe3\x85\xa4", NameIssue::invisible_char},
      {"U+115F HANGUL CHOSEONG FILLER", "a\xe1\x85\x9f", NameIssue::invisible_char},
      {"U+1160 HANGUL JUNGSEONG FILLER", "a\xe1\x85\xa0", NameIssue::invisible_char},
      {"U+FFA0 HALFWIDTH HANGUL FILLER", "a\xef\xbe\xa0", NameIssue::invisible_char},
      {"a tag character U+E0041", "a\xf3\xa0\x81\x81", NameIssue::invisible_char},
      {"U+2028 LINE SEPARATOR",
       "a\xe2\x80\xa8"
       "b",
       NameIssue::invisible_char},
      {"private use U+E000", "a\xee\x80\x80", NameIssue::invisible_char},
      {"unassigned U+0378", "a\xcd\xb8", NameIssue::invisible_char},
      {"five combining marks", stacked, NameIssue::too_many_marks},
      {"only spaces", " \xe3\x80\x80 ", NameIssue::nothing_visible},
      {"only U+2800 BRAILLE PATTERN BLANK", "\xe2\xa0\x80", NameIssue::nothing_visible},
      {"only a combining mark", "\xcc\x81", NameIssue::nothing_visible},
      {"a C0 control", "a\x01", NameIssue::control},
      {"a newline", "a\nb", NameIssue::control},
      {"invalid UTF-8", "a\xff", NameIssue::invalid_utf8},
  };
  for (const auto& c : cases) EXPECT_EQ(text::check_name(c.in).issue, c.issue) << c.why;
}

TEST(Text, NamesAreNfcNormalized) {
  // "e" + U+0301 COMBINING ACUTE becomes U+00E9.
  EXPECT_EQ(text::check_name("Rene\xcc\x81").nfc, "Ren\xc3\xa9");
  EXPECT_EQ(text::normalize_name("  Rene\xcc\x81 ", "display_name", 64), "Ren\xc3\xa9");
  try {
    text::normalize_name("a\xe2\x80\xae", "title", 100);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.details().at("field").as_string(), "title");
  }
  EXPECT_THROW(text::normalize_name(std::string(65, 'x'), "display_name", 64), Error);
  EXPECT_THROW(text::normalize_name("   ", "display_name", 64), Error);
}

TEST(Config, NamesTheBadSetting) {
  setenv("PARLEY_TEST_INT", "12x", 1);
  try {
    config::get_int("PARLEY_TEST_INT", 1, 0, 100);
    FAIL();
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("PARLEY_TEST_INT"), std::string::npos);
  }
  setenv("PARLEY_TEST_INT", "101", 1);
  EXPECT_THROW(config::get_int("PARLEY_TEST_INT", 1, 0, 100), config::ConfigError);
  setenv("PARLEY_TEST_INT", "7", 1);
  EXPECT_EQ(config::get_int("PARLEY_TEST_INT", 1, 0, 100), 7);
  EXPECT_THROW(config::parse_listen("PARLEY_LISTEN", "nohost"), config::ConfigError);
  EXPECT_THROW(config::parse_listen("PARLEY_LISTEN", "127.0.0.1:99999"), config::ConfigError);
  EXPECT_EQ(config::parse_listen("PARLEY_LISTEN", "localhost:80").host, "127.0.0.1");
}

TEST(Ids, UuidV7IsOrderedAndWellFormed) {
  std::string prev;
  for (int i = 0; i < 5000; ++i) {
    std::string id = ids::uuid_v7();
    ASSERT_TRUE(ids::is_uuid(id)) << id;
    ASSERT_EQ(id[14], '7');
    ASSERT_LT(prev, id);
    prev = id;
  }
}

TEST(Time, Rfc3339RoundTrip) {
  auto t = time::from_unix_ms(1764000000123);
  EXPECT_EQ(time::format_rfc3339(t), "2025-11-24T16:00:00.123Z");
  EXPECT_EQ(time::parse_rfc3339("2025-11-24T16:00:00.123Z"), t);
}

}  // namespace
}  // namespace parley
