#include "domain/rules.hpp"

#include "parley/core/error.hpp"

namespace parley::contacts {

NewRequest decide_new_request(const Relationship& r) {
  if (!r.target_exists) throw Error::not_found("no such user");
  if (r.self) throw Error::invalid_argument("you cannot send a contact request to yourself");
  if (r.caller_blocked_target)
    throw Error::conflict("blocked", "you have blocked this user; unblock them first");
  if (r.contacts) throw Error::conflict("already_contacts", "you are already contacts");
  if (r.pending_from_caller) throw Error::conflict("request_pending", "a request to this user is already pending");
  return r.target_blocked_caller ? NewRequest::hidden : NewRequest::visible;
}

Role role_in_request(std::string_view user, std::string_view from_user, std::string_view to_user) {
  if (user == to_user) return Role::recipient;
  if (user == from_user) return Role::sender;
  return Role::stranger;
}

void check_request_action(RequestAction action, Role role, bool hidden) {
  if (role == Role::stranger || (role == Role::recipient && hidden)) throw Error::not_found("no such request");
  bool allowed = action == RequestAction::cancel ? role == Role::sender : role == Role::recipient;
  if (!allowed)
    throw Error::permission_denied(action == RequestAction::cancel ? "only the sender may cancel a request"
                                                                   : "only the recipient may answer a request");
}

}  // namespace parley::contacts
