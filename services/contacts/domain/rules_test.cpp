#include "domain/rules.hpp"

#include <gtest/gtest.h>

#include "parley/core/error.hpp"

namespace parley::contacts {
namespace {

std::string outcome(const Relationship& r) {
  try {
    return decide_new_request(r) == NewRequest::visible ? "visible" : "hidden";
  } catch (const Error& e) {
    return std::to_string(e.status()) + " " + e.code();
  }
}

TEST(NewRequest, Rules) {
  struct Case { Relationship r; std::string expected; };
  const std::vector<Case> cases = {
      {{.target_exists = false}, "404 not_found"},
      {{.target_exists = true, .self = true}, "400 invalid_argument"},
      {{.target_exists = true, .contacts = true}, "409 already_contacts"},
      {{.target_exists = true, .pending_from_caller = true}, "409 request_pending"},
      {{.target_exists = true, .caller_blocked_target = true}, "409 blocked"},
      {{.target_exists = true}, "visible"},
      // Blocked by the recipient: the sender sees the same 201, but it never arrives.
      {{.target_exists = true, .target_blocked_caller = true}, "hidden"},
      // ...and the same 409 as anyone else on a duplicate, so the block stays invisible.
      {{.target_exists = true, .pending_from_caller = true, .target_blocked_caller = true}, "409 request_pending"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(outcome(cases[i].r), cases[i].expected) << "case " << i;
}

TEST(RoleInRequest, IsSenderRecipientOrStranger) {
  struct Case {
    std::string_view user;
    Role expected;
  };
  const std::vector<Case> cases = {{"ann", Role::sender}, {"bo", Role::recipient}, {"cy", Role::stranger}};
  for (const auto& c : cases) EXPECT_EQ(role_in_request(c.user, "ann", "bo"), c.expected) << c.user;
}

std::string action(RequestAction a, Role role, bool hidden) {
  try {
    check_request_action(a, role, hidden);
    return "ok";
  } catch (const Error& e) {
    return std::to_string(e.status());
  }
}

TEST(RequestAction, WhoMayDoWhat) {
  EXPECT_EQ(action(RequestAction::accept, Role::recipient, false), "ok");
  EXPECT_EQ(action(RequestAction::accept, Role::sender, false), "403");
  EXPECT_EQ(action(RequestAction::accept, Role::stranger, false), "404");
  EXPECT_EQ(action(RequestAction::accept, Role::recipient, true), "404");  // hidden by a block
  EXPECT_EQ(action(RequestAction::decline, Role::recipient, false), "ok");
  EXPECT_EQ(action(RequestAction::decline, Role::sender, false), "403");
  EXPECT_EQ(action(RequestAction::cancel, Role::sender, false), "ok");
  EXPECT_EQ(action(RequestAction::cancel, Role::sender, true), "ok");  // the blocked sender still can
  EXPECT_EQ(action(RequestAction::cancel, Role::recipient, false), "403");
  EXPECT_EQ(action(RequestAction::cancel, Role::recipient, true), "404");
  EXPECT_EQ(action(RequestAction::cancel, Role::stranger, false), "404");
}

}  // namespace
}  // namespace parley::contacts
