#include "domain/web_session.hpp"

#include "parley/core/text.hpp"

namespace parley::auth {

namespace {
// host[:port] lower-cased, without the scheme's default port.
std::string canonical_authority(std::string_view authority, bool https) {
  std::string out = text::ascii_lower(text::trim(authority));
  std::string_view default_port = https ? ":443" : ":80";
  if (out.size() > default_port.size() && out.ends_with(default_port) && out.back() != ']')
    out.resize(out.size() - default_port.size());
  return out;
}
}  // namespace

std::optional<CookieSecure> parse_cookie_secure(std::string_view text) {
  if (text == "auto") return CookieSecure::automatic;
  if (text == "true") return CookieSecure::always;
  if (text == "false") return CookieSecure::never;
  return std::nullopt;
}

bool is_web_client(std::string_view value) { return text::ascii_lower(text::trim(value)) == "web"; }

bool same_origin(std::string_view origin, std::string_view host, bool https) {
  std::string_view scheme = https ? "https://" : "http://";
  std::string lowered = text::ascii_lower(text::trim(origin));
  if (!lowered.starts_with(scheme) || host.empty()) return false;
  std::string_view authority = std::string_view(lowered).substr(scheme.size());
  if (authority.empty() || authority.find('/') != std::string_view::npos) return false;
  return canonical_authority(authority, https) == canonical_authority(host, https);
}

std::optional<std::string> cookie_refusal(const CookieRequest& r) {
  if (!is_web_client(r.x_parley_client))
    return "a refresh token from the cookie needs the X-Parley-Client: web header";
  if (!r.origin.empty() && !same_origin(r.origin, r.host, r.https))
    return "a refresh token from the cookie is refused to another origin";
  if (!r.sec_fetch_site.empty()) {
    std::string site = text::ascii_lower(text::trim(r.sec_fetch_site));
    if (site != "same-origin" && site != "none")
      return "a refresh token from the cookie is refused to another site";
  }
  return std::nullopt;
}

}  // namespace parley::auth
