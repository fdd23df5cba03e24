#pragma once
// Rules of conversations and messages. No I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parley/core/error.hpp"

namespace parley::messages {

enum class Role { owner, admin, member };
std::string_view role_name(Role role);
Role parse_role(std::string_view name);  // REQUIRES: a stored role name
inline bool manages(Role r) { return r == Role::owner || r == Role::admin; }

// What decides whether someone may write to someone else directly.
struct DirectFacts {
  bool blocked = false;               // either side blocked the other
  bool recipient_contacts_only = false;  // the recipient's dm_policy is "contacts"
  bool contacts = false;              // the two are contacts
};
bool may_message_directly(const DirectFacts& facts);

// Someone a caller puts in a group (at creation or later), with what decides whether the caller
// could write to them directly; nullopt: no such user.
struct Invitee {
  std::string user_id;
  std::optional<DirectFacts> facts;
};
// You may put someone in a group only if you could open a direct conversation with them: the same
// blocks and dm_policy. (Joining by invite code is the joiner's own choice and is not checked.)
bool may_add_to_group(const DirectFacts& facts);
// The invitees of a new group, in the order the request named them. Throws invalid_argument naming
// "member_ids" for the first unknown one, else permission_denied with details.user_id naming the
// first one who may not be added: all or nothing.
void check_invitees(const std::vector<Invitee>& invitees);
// The 403 for one invitee who may not be added (details.user_id names them).
Error refused_invitee(const std::string& user_id);

// May actor remove target from a group? Leaving (actor == target) is always allowed; an owner
// removes anyone, an admin removes plain members.
bool may_remove(bool self, Role actor, Role target);
// The sender may delete their message; in a group, so may an owner or admin.
bool may_delete_message(bool is_sender, bool group, Role actor);

// 1-4000 characters (code points); stored byte for byte. Throws invalid_argument naming "body".
void check_body(std::string_view body);
// Trimmed, NFC, 1-100 characters, nothing invisible or direction-changing (text::normalize_name).
// Throws invalid_argument naming "title".
std::string normalize_title(std::string_view title);
// 1-64 printable ASCII characters. Throws invalid_argument naming "client_id".
void check_client_id(std::string_view client_id);

// The page of history GET .../messages asks for.
struct HistoryPage {
  std::optional<std::int64_t> before_seq;
  std::optional<std::int64_t> after_seq;
  int limit = 50;
};

constexpr std::size_t kMaxGroupMembers = 1000;

}  // namespace parley::messages
