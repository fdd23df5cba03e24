#pragma once
// Browsers keep their refresh token in an HttpOnly cookie instead of the page's reach: a client
// opts in with "X-Parley-Client: web". The rules of that cookie, and the guard that keeps other
// sites from spending it. No I/O: the caller reads the request's headers.

#include <optional>
#include <string>
#include <string_view>

namespace parley::auth {

inline constexpr std::string_view kRefreshCookie = "parley_refresh";
inline constexpr std::string_view kRefreshCookiePath = "/api/v1/auth";  // refresh, logout, account

// PARLEY_COOKIE_SECURE: when the cookie is marked Secure.
enum class CookieSecure {
  automatic,  // "auto": when the request came over HTTPS
  always,     // "true"
  never,      // "false"
};
// nullopt for anything but auto, true or false.
std::optional<CookieSecure> parse_cookie_secure(std::string_view text);

// True for the opt-in header's value "web" (any case, surrounding spaces ignored).
bool is_web_client(std::string_view x_parley_client);

// The request as the guard sees it; empty views are absent headers.
struct CookieRequest {
  std::string_view x_parley_client = {};
  std::string_view origin = {};
  std::string_view host = {};  // the Host header, with its port if any
  std::string_view sec_fetch_site = {};
  bool https = false;  // came over HTTPS (X-Forwarded-Proto from a trusted gateway)
};

// Why a refresh or logout may not take its token from the cookie, or nullopt when it may: it
// must carry X-Parley-Client: web (a cross-site form or simple request cannot, and Parley grants
// no CORS preflight); an Origin, when present, must be the request's own (scheme, host, port);
// Sec-Fetch-Site, when present, must be same-origin or none.
std::optional<std::string> cookie_refusal(const CookieRequest& request);

// True when origin ("https://example.org:8443") names the same scheme, host and port as the
// request's Host header over http or https. Default ports (80, 443) may be spelled or not.
bool same_origin(std::string_view origin, std::string_view host, bool https);

}  // namespace parley::auth
