#pragma once
// Cookies: finding one in a request's Cookie headers ("a=1; b=2", RFC 6265 section 5.4) and
// writing a Set-Cookie value.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::http {

struct Request;

// Longer Cookie headers are ignored whole; longer cookie values are ignored.
inline constexpr std::size_t kMaxCookieHeader = 8192;
inline constexpr std::size_t kMaxCookieValue = 4096;

// The value of the first cookie called name in one Cookie header value, without surrounding
// double quotes, or nullopt. Names compare exactly (cookie names are case-sensitive).
std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name);
// The same over every Cookie header of the request, in order.
std::optional<std::string> request_cookie(const Request& request, std::string_view name);

struct SetCookie {
  std::string name;
  std::string value;  // REQUIRES: cookie-octets only (no space, ", ; or \)
  std::string path = "/";
  std::optional<std::int64_t> max_age_s;  // none: ends with the browser session; 0 deletes it
  bool http_only = true;                  // hidden from the page's scripts
  std::string same_site = "Strict";       // Strict, Lax or None; empty: no attribute
  bool secure = false;                    // sent over HTTPS only
};
// "name=value; Path=/p; Max-Age=60; HttpOnly; SameSite=Strict; Secure", attributes as set.
std::string format_set_cookie(const SetCookie& cookie);

}  // namespace parley::http
