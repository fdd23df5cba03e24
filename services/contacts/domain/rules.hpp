#pragma once
// The rules of contact requests and blocks. No I/O: the caller gathers the facts.

#include <string>
#include <string_view>

namespace parley::contacts {

// What is true between the caller and the user a new request names.
struct Relationship {
  bool target_exists = false;
  bool self = false;
  bool contacts = false;
  bool pending_from_caller = false;  // the caller already asked
  bool caller_blocked_target = false;
  bool target_blocked_caller = false;
};

enum class NewRequest {
  visible,  // reaches the recipient
  hidden,   // the recipient blocked the sender: answered as usual, never delivered
};

// Throws Error: 404 no such user, 400 yourself, 409 already_contacts / request_pending / blocked.
NewRequest decide_new_request(const Relationship& r);

enum class Role { sender, recipient, stranger };
enum class RequestAction { accept, decline, cancel };

// Who user is to a request from from_user to to_user.
Role role_in_request(std::string_view user, std::string_view from_user, std::string_view to_user);

// Who may do what to a request. Throws 404 when the caller may not see it (strangers, and the
// recipient of a request hidden by their block), 403 when they see it but it is not theirs to act on.
void check_request_action(RequestAction action, Role role, bool hidden);

}  // namespace parley::contacts
