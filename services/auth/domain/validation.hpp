#pragma once
// Rules for what a user may register with. Each function returns the normalised value or throws
// Error::invalid_argument naming the field.

#include <optional>
#include <string>
#include <string_view>

namespace parley::auth {

std::string normalize_username(std::string_view username);  // 3-32 of [A-Za-z0-9_.], lower-cased
// Trimmed; one @; the local part printable ASCII; an internationalized domain checked as a name
// (text::check_name) and NFC. Lower-case for uniqueness is the caller's.
std::string normalize_email(std::string_view email);
void check_password(std::string_view password, const char* field = "password");  // 8-256 code points
// 1-64 code points after trim and NFC, nothing invisible or direction-changing
// (text::normalize_name).
std::string normalize_display_name(std::string_view name);

}  // namespace parley::auth
