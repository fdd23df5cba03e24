#include "domain/validation.hpp"

#include "parley/core/error.hpp"
#include "parley/core/text.hpp"

namespace parley::auth {

std::string normalize_username(std::string_view username) {
  if (username.size() < 3 || username.size() > 32)
    throw Error::invalid_argument("username must be 3 to 32 characters", "username");
  for (char c : username)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'))
      throw Error::invalid_argument("username may contain only letters, digits, '_' and '.'", "username");
  return text::ascii_lower(username);
}

std::string normalize_email(std::string_view email) {
  std::string e = text::trim(email);
  auto at = e.find('@');
  bool ok = !e.empty() && e.size() <= 254 && at != std::string::npos && at > 0 &&
            e.find('@', at + 1) == std::string::npos && e.find('.', at + 2) != std::string::npos &&
            e.back() != '.' && !text::has_control_chars(e);
  for (char c : e) ok = ok && c != ' ';
  if (!ok) throw Error::invalid_argument("email must be an address like name@example.org", "email");
  return e;
}

void check_password(std::string_view password, const char* field) {
  std::size_t n = text::code_points(password);
  if (n < 8 || n > 256)
    throw Error::invalid_argument(std::string(field) + " must be 8 to 256 characters", field);
}

std::string normalize_display_name(std::string_view name) {
  std::string n = text::trim(name);
  std::size_t count = text::code_points(n);
  if (count < 1 || count > 64)
    throw Error::invalid_argument("display_name must be 1 to 64 characters", "display_name");
  if (text::has_control_chars(n))
    throw Error::invalid_argument("display_name must not contain control characters", "display_name");
  return n;
}

}  // namespace parley::auth
