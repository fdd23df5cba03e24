#include "parley/core/text.hpp"

#include <gtest/gtest.h>

#include "parley/core/config.hpp"
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
