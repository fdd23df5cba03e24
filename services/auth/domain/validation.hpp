#pragma once
// Rules for what a user may register with. Each function returns the normalised value or throws
// Error::invalid_argument naming the field.

#include <optional>
#include <string>
#include <string_view>

namespace parley::auth {

std::string normalize_username(std::string_view username);  // 3-32 of [A-Za-z0-9_.], lower-cased
std::string normalize_email(std::string_view email);        // trimmed; lower-case for uniqueness is the caller's
void check_password(std::string_view password, const char* field = "password");  // 8-256 code points
std::string normalize_display_name(std::string_view name);  // 1-64 code points after trim, no control chars

}  // namespace parley::auth
