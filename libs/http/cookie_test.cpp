#include "parley/http/cookie.hpp"

#include <gtest/gtest.h>

#include "parley/http/message.hpp"

namespace parley::http {
namespace {

TEST(FindCookie, FindsOneAmongSeveral) {
  struct Case {
    std::string header;
    std::optional<std::string> expected;
  };
  const Case cases[] = {
      {"parley_refresh=abc", "abc"},
      {"a=1; parley_refresh=abc; b=2", "abc"},
      {"a=1;parley_refresh=abc;b=2", "abc"},
      {"  parley_refresh = abc  ; b=2", "abc"},
      {"parley_refresh=\"abc\"", "abc"},
      {"parley_refresh=", ""},
      {"parley_refresh=first; parley_refresh=second", "first"},
      {"xparley_refresh=abc; parley_refreshx=def", std::nullopt},
      {"Parley_Refresh=abc", std::nullopt},  // names are case-sensitive
      {"parley_refresh", std::nullopt},
      {"a=b=c; parley_refresh=x=y", "x=y"},
      {";;; ;parley_refresh=abc;", "abc"},
      {"", std::nullopt},
      {"a=" + std::string(kMaxCookieHeader, 'x') + "; parley_refresh=abc", std::nullopt},
      {"parley_refresh=" + std::string(kMaxCookieValue + 1, 'x'), std::nullopt},
      {"parley_refresh=" + std::string(kMaxCookieValue, 'x'), std::string(kMaxCookieValue, 'x')},
  };
  for (const auto& c : cases)
    EXPECT_EQ(find_cookie(c.header, "parley_refresh"), c.expected) << c.header;
}

TEST(RequestCookie, LooksThroughEveryCookieHeader) {
  Request r;
  r.headers = {
      {"cookie", "a=1"}, {"x-other", "parley_refresh=no"}, {"cookie", "parley_refresh=yes"}};
  EXPECT_EQ(request_cookie(r, "parley_refresh"), "yes");
  EXPECT_EQ(request_cookie(r, "a"), "1");
  EXPECT_EQ(request_cookie(r, "b"), std::nullopt);
}

TEST(FormatSetCookie, WritesTheAttributesInOrder) {
  SetCookie c{
      .name = "parley_refresh", .value = "tok", .path = "/api/v1/auth", .max_age_s = 2592000};
  EXPECT_EQ(format_set_cookie(c),
            "parley_refresh=tok; Path=/api/v1/auth; Max-Age=2592000; HttpOnly; SameSite=Strict");
  c.secure = true;
  c.value = "";
  c.max_age_s = 0;
  EXPECT_EQ(format_set_cookie(c),
            "parley_refresh=; Path=/api/v1/auth; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
  EXPECT_EQ(format_set_cookie({.name = "a",
                               .value = "b",
                               .path = "",
                               .max_age_s = {},
                               .http_only = false,
                               .same_site = ""}),
            "a=b");
}

}  // namespace
}  // namespace parley::http
