#include "domain/web_session.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

TEST(ParseCookieSecure, TakesAutoTrueOrFalse) {
  EXPECT_EQ(parse_cookie_secure("auto"), CookieSecure::automatic);
  EXPECT_EQ(parse_cookie_secure("true"), CookieSecure::always);
  EXPECT_EQ(parse_cookie_secure("false"), CookieSecure::never);
  EXPECT_EQ(parse_cookie_secure("yes"), std::nullopt);
  EXPECT_EQ(parse_cookie_secure(""), std::nullopt);
}

TEST(IsWebClient, IsTheWordWebInAnyCase) {
  EXPECT_TRUE(is_web_client("web"));
  EXPECT_TRUE(is_web_client(" Web "));
  EXPECT_FALSE(is_web_client(""));
  EXPECT_FALSE(is_web_client("webapp"));
  EXPECT_FALSE(is_web_client("cli"));
}

TEST(SameOrigin, ComparesSchemeHostAndPort) {
  struct Case {
    std::string_view origin, host;
    bool https, expected;
  };
  const Case cases[] = {
      {"http://127.0.0.1:8080", "127.0.0.1:8080", false, true},
      {"http://127.0.0.1:8080", "127.0.0.1:8081", false, false},
      {"http://127.0.0.1", "127.0.0.1:8080", false, false},
      {"https://chat.example.org", "chat.example.org", true, true},
      {"https://chat.example.org", "chat.example.org:443", true, true},
      {"https://chat.example.org:443", "chat.example.org", true, true},
      {"HTTPS://Chat.Example.ORG", "chat.example.org", true, true},
      {"http://chat.example.org", "chat.example.org", true, false},  // scheme differs
      {"https://chat.example.org", "chat.example.org", false, false},
      {"http://chat.example.org:80", "chat.example.org", false, true},
      {"https://chat.example.org.evil.test", "chat.example.org", true, false},
      {"https://evil.test", "chat.example.org", true, false},
      {"https://chat.example.org/", "chat.example.org", true, false},
      {"null", "chat.example.org", true, false},
      {"https://chat.example.org", "", true, false},
      {"http://[::1]:8080", "[::1]:8080", false, true},
      {"http://[::1]", "[::1]:80", false, true},
  };
  for (const auto& c : cases)
    EXPECT_EQ(same_origin(c.origin, c.host, c.https), c.expected) << c.origin << " vs " << c.host;
}

TEST(CookieRefusal, NeedsTheHeaderTheOwnOriginAndTheOwnSite) {
  struct Case {
    CookieRequest request;
    bool refused;
  };
  const Case cases[] = {
      {{.x_parley_client = "web", .host = "a.test"}, false},
      {{.x_parley_client = "web", .origin = "http://a.test", .host = "a.test"}, false},
      {{.x_parley_client = "web", .origin = "https://a.test", .host = "a.test", .https = true},
       false},
      {{.x_parley_client = "web", .host = "a.test", .sec_fetch_site = "same-origin"}, false},
      {{.x_parley_client = "web", .host = "a.test", .sec_fetch_site = "none"}, false},
      {{.host = "a.test"}, true},  // no opt-in header
      {{.x_parley_client = "mobile", .host = "a.test"}, true},
      {{.x_parley_client = "web", .origin = "http://b.test", .host = "a.test"}, true},
      {{.x_parley_client = "web", .origin = "http://a.test", .host = "a.test", .https = true},
       true},
      {{.x_parley_client = "web", .origin = "null", .host = "a.test"}, true},
      {{.x_parley_client = "web", .host = "a.test", .sec_fetch_site = "cross-site"}, true},
      {{.x_parley_client = "web", .host = "a.test", .sec_fetch_site = "same-site"}, true},
  };
  for (const auto& c : cases)
    EXPECT_EQ(cookie_refusal(c.request).has_value(), c.refused)
        << c.request.x_parley_client << " " << c.request.origin << " " << c.request.sec_fetch_site;
}

}  // namespace
}  // namespace parley::auth
