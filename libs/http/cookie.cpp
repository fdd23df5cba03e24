#include "parley/http/cookie.hpp"

#include "parley/http/message.hpp"

namespace parley::http {

namespace {
std::string_view trim(std::string_view t) {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  return t;
}
}  // namespace

std::optional<std::string> find_cookie(std::string_view header, std::string_view name) {
  if (header.size() > kMaxCookieHeader || name.empty()) return std::nullopt;
  while (!header.empty()) {
    std::size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos || trim(pair.substr(0, equals)) != name) continue;
    std::string_view value = trim(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (value.size() > kMaxCookieValue) return std::nullopt;
    return std::string(value);
  }
  return std::nullopt;
}

std::optional<std::string> request_cookie(const Request& request, std::string_view name) {
  for (const auto& [header, value] : request.headers)
    if (header == "cookie")
      if (auto found = find_cookie(value, name)) return found;
  return std::nullopt;
}

std::string format_set_cookie(const SetCookie& c) {
  std::string out = c.name + "=" + c.value;
  if (!c.path.empty()) out += "; Path=" + c.path;
  if (c.max_age_s) out += "; Max-Age=" + std::to_string(*c.max_age_s);
  if (c.http_only) out += "; HttpOnly";
  if (!c.same_site.empty()) out += "; SameSite=" + c.same_site;
  if (c.secure) out += "; Secure";
  return out;
}

}  // namespace parley::http
