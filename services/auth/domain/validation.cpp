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
  // The local part is printable ASCII: nothing invisible or look-alike before the @. A domain
  // may be internationalized, but passes the checks of a name and is stored in NFC.
  for (std::size_t i = 0; i < at; ++i)
    if (static_cast<unsigned char>(e[i]) < 0x21 || static_cast<unsigned char>(e[i]) > 0x7E)
      throw Error::invalid_argument("the part of email before the @ must be ASCII", "email");
  std::string domain = e.substr(at + 1);
  bool ascii = true;
  for (char c : domain) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return e;
  auto checked = text::check_name(domain);
  if (checked.issue != text::NameIssue::none)
    throw Error::invalid_argument(
        "email must not contain invisible or direction-changing characters", "email");
  return e.substr(0, at + 1) + checked.nfc;
}

void check_password(std::string_view password, const char* field) {
  std::size_t n = text::code_points(password);
  if (n < 8 || n > 256)
    throw Error::invalid_argument(std::string(field) + " must be 8 to 256 characters", field);
}

std::string normalize_display_name(std::string_view name) {
  return text::normalize_name(name, "display_name", 64);
}

}  // namespace parley::auth
