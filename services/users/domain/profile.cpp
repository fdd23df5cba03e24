#include "domain/profile.hpp"

#include "parley/core/error.hpp"
#include "parley/core/json.hpp"
#include "parley/core/text.hpp"

namespace parley::users {

boost::json::object Profile::to_json(bool include_private) const {
  boost::json::object o{{"id", id}, {"username", username}, {"display_name", display_name},
                        {"bio", bio}, {"created_at", created_at}};
  if (include_private) o["dm_policy"] = dm_policy;
  return o;
}

ProfileChange parse_profile_change(const boost::json::object& body) {
  json::reject_unknown_fields(body, {"display_name", "bio", "dm_policy"});
  ProfileChange change;
  if (auto name = json::optional_string(body, "display_name")) {
    change.display_name = text::normalize_name(*name, "display_name", 64);
  }
  if (auto bio = json::optional_string(body, "bio")) {
    if (text::code_points(*bio) > 500) throw Error::invalid_argument("bio must be at most 500 characters", "bio");
    if (text::has_control_chars(*bio, /*allow_newlines=*/true))
      throw Error::invalid_argument("bio must not contain control characters", "bio");
    change.bio = *bio;
  }
  if (auto policy = json::optional_string(body, "dm_policy")) {
    if (*policy != "everyone" && *policy != "contacts")
      throw Error::invalid_argument("dm_policy must be 'everyone' or 'contacts'", "dm_policy");
    change.dm_policy = *policy;
  }
  return change;
}

void apply(Profile& p, const ProfileChange& c) {
  if (c.display_name) p.display_name = *c.display_name;
  if (c.bio) p.bio = *c.bio;
  if (c.dm_policy) p.dm_policy = *c.dm_policy;
}

std::string like_prefix(std::string_view query) {
  std::string out;
  for (char c : text::ascii_lower(query)) {
    if (c == '%' || c == '_' || c == '!') out.push_back('!');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

}  // namespace parley::users
