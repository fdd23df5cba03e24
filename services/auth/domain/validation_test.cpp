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
  struct Case {
    std::string in;
    std::string out;  // "" when refused
  };
  const std::vector<Case> cases = {
      {"b.o+b@example.org", "b.o+b@example.org"},
      {"bob@b\xc3\xbc"
       "cher.example",
       "bob@b\xc3\xbc"
       "cher.example"},  // an IDN domain
      {"bob@bu\xcc\x88"
       "cher.example",
       "bob@b\xc3\xbc"
       "cher.example"},  // ...in NFC
      {"b\xc3\xb6"
       "b@example.org",
       ""},                                 // a non-ASCII local part
      {"bob\xe2\x80\xae@example.org", ""},  // U+202E
      {"\xe2\x80\x8b"
       "bob@example.org",
       ""},  // U+200B
      {"\xef\xbb\xbf"
       "bob@example.org",
       ""},                                 // U+FEFF
      {"bob@exa\xe2\x80\x8bmple.org", ""},  // U+200B in the domain
      {"bob@\xe3\x85\xa4.example", ""},     // U+3164 in the domain
  };
  for (const auto& c : cases) {
    if (c.out.empty())
      EXPECT_EQ(field_of([&] { normalize_email(c.in); }), "email") << c.in;
    else
      EXPECT_EQ(normalize_email(c.in), c.out) << c.in;
  }
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
  // Invisible and direction-changing characters (the full table is libs/core's).
  for (std::string bad :
       std::vector<std::string>{"evil\xe2\x80\xae", "\xe3\x85\xa4", "a\xe2\x80\x8b"})
    EXPECT_EQ(field_of([&] { normalize_display_name(bad); }), "display_name") << bad;
  EXPECT_EQ(normalize_display_name("Zoe\xcc\x88"), "Zo\xc3\xab");  // NFC
}

}  // namespace
}  // namespace parley::auth
