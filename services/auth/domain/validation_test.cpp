#include "domain/validation.hpp"

#include <gtest/gtest.h>

#include "parley/core/error.hpp"

namespace parley::auth {
namespace {

template <class F>
std::string field_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return std::string(e.details().at("field").as_string());
  }
  return "accepted";
}

TEST(Validation, Usernames) {
  EXPECT_EQ(normalize_username("Alice_1.x"), "alice_1.x");
  for (std::string bad : std::vector<std::string>{"ab", std::string(33, 'a'), "has space", "emoji\xf0\x9f\x98\x80", "semi;colon", "dash-no"})
    EXPECT_EQ(field_of([&] { normalize_username(bad); }), "username") << bad;
  EXPECT_EQ(normalize_username(std::string(32, 'a')), std::string(32, 'a'));
}

TEST(Validation, Emails) {
  EXPECT_EQ(normalize_email("  Bob@Example.org "), "Bob@Example.org");
  for (std::string bad : std::vector<std::string>{"", "bob", "@example.org", "bob@", "bob@example", "a@b@c.org", "bo b@x.org", "bob@x.org."})
    EXPECT_EQ(field_of([&] { normalize_email(bad); }), "email") << bad;
}

TEST(Validation, PasswordsCountCharactersNotBytes) {
  EXPECT_EQ(field_of([] { check_password("1234567"); }), "password");
  EXPECT_EQ(field_of([] { check_password("12345678"); }), "accepted");
  // 8 two-byte characters is 8 characters.
  EXPECT_EQ(field_of([] { check_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"); }), "accepted");
  EXPECT_EQ(field_of([] { check_password(std::string(257, 'x')); }), "password");
  EXPECT_EQ(field_of([] { check_password("short", "new_password"); }), "new_password");
}

TEST(Validation, DisplayNames) {
  EXPECT_EQ(normalize_display_name("  Zoë  "), "Zoë");
  EXPECT_EQ(field_of([] { normalize_display_name("   "); }), "display_name");
  EXPECT_EQ(field_of([] { normalize_display_name("bell\x07"); }), "display_name");
  EXPECT_EQ(field_of([] { normalize_display_name(std::string(65, 'x')); }), "display_name");
}

}  // namespace
}  // namespace parley::auth
