#pragma once
// A public profile and the rules for changing it.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace parley::users {

struct Profile {
  std::string id;
  std::string username;
  std::string display_name;
  std::string bio;
  std::string dm_policy = "everyone";  // "everyone" or "contacts"
  std::string created_at;

  // dm_policy is shown to its owner only.
  boost::json::object to_json(bool include_private) const;
};

struct ProfileChange {
  std::optional<std::string> display_name;
  std::optional<std::string> bio;
  std::optional<std::string> dm_policy;
  bool empty() const { return !display_name && !bio && !dm_policy; }
};

// Validates a PATCH body; throws Error::invalid_argument naming the field.
ProfileChange parse_profile_change(const boost::json::object& body);
void apply(Profile& profile, const ProfileChange& change);

// Escapes LIKE wildcards with '!' so that a search for "%" is literal.
std::string like_prefix(std::string_view query);

}  // namespace parley::users
