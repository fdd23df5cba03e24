#include "domain/rules.hpp"

#include "parley/core/error.hpp"
#include "parley/core/text.hpp"

namespace parley::messages {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::owner: return "owner";
    case Role::admin: return "admin";
    case Role::member: return "member";
  }
  return "member";
}

Role parse_role(std::string_view name) {
  if (name == "owner") return Role::owner;
  if (name == "admin") return Role::admin;
  return Role::member;
}

bool may_message_directly(const DirectFacts& f) {
  if (f.blocked) return false;
  return !f.recipient_contacts_only || f.contacts;
}

bool may_add_to_group(const DirectFacts& f) { return may_message_directly(f); }

Error refused_invitee(const std::string& user_id) {
  return Error(403, "permission_denied", "you cannot add this user to a group",
               {{"user_id", user_id}});
}

void check_invitees(const std::vector<Invitee>& invitees) {
  for (const auto& i : invitees)
    if (!i.facts)
      throw Error::invalid_argument("member_ids names an unknown user: " + i.user_id, "member_ids");
  for (const auto& i : invitees)
    if (!may_add_to_group(*i.facts)) throw refused_invitee(i.user_id);
}

bool may_remove(bool self, Role actor, Role target) {
  if (self) return true;
  if (actor == Role::owner) return true;
  return actor == Role::admin && target == Role::member;
}

bool may_delete_message(bool is_sender, bool group, Role actor) {
  return is_sender || (group && manages(actor));
}

void check_body(std::string_view body) {
  std::size_t n = text::code_points(body);
  if (n < 1 || n > 4000) throw Error::invalid_argument("body must be 1 to 4000 characters", "body");
}

std::string normalize_title(std::string_view title) {
  return text::normalize_name(title, "title", 100);
}

void check_client_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) ok = ok && c > 0x20 && c < 0x7F;
  if (!ok) throw Error::invalid_argument("client_id must be 1 to 64 printable ASCII characters", "client_id");
}

}  // namespace parley::messages
