#include "domain/rules.hpp"

#include <gtest/gtest.h>

#include "parley/core/error.hpp"

namespace parley::messages {
namespace {

TEST(DirectMessages, BlocksAndPolicy) {
  struct Case { DirectFacts f; bool allowed; };
  const std::vector<Case> cases = {
      {{}, true},
      {{.blocked = true}, false},
      {{.blocked = true, .contacts = true}, false},
      {{.recipient_contacts_only = true}, false},
      {{.recipient_contacts_only = true, .contacts = true}, true},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(may_message_directly(cases[i].f), cases[i].allowed) << i;
}

TEST(Groups, AddingSomeoneFollowsTheDirectRule) {
  const std::vector<DirectFacts> facts = {{},
                                          {.blocked = true},
                                          {.blocked = true, .contacts = true},
                                          {.recipient_contacts_only = true},
                                          {.recipient_contacts_only = true, .contacts = true}};
  for (std::size_t i = 0; i < facts.size(); ++i)
    EXPECT_EQ(may_add_to_group(facts[i]), may_message_directly(facts[i])) << i;
}

TEST(Groups, InviteesAllOrNothing) {
  const DirectFacts ok{}, blocked{.blocked = true}, contacts_only{.recipient_contacts_only = true};
  struct Case {
    std::vector<Invitee> invitees;
    int status;         // 0: allowed
    std::string named;  // details.user_id (403) or in the message (400)
  };
  const std::vector<Case> cases = {
      {{}, 0, ""},
      {{{"a", ok}, {"b", ok}}, 0, ""},
      {{{"a", ok}, {"b", blocked}}, 403, "b"},
      {{{"a", contacts_only}, {"b", blocked}}, 403, "a"},  // the first refused, in request order
      {{{"a", ok}, {"b", std::nullopt}}, 400, "b"},
      {{{"a", blocked}, {"b", std::nullopt}}, 400, "b"},  // an unknown user is a bad request first
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    try {
      check_invitees(c.invitees);
      EXPECT_EQ(c.status, 0) << i;
    } catch (const Error& e) {
      EXPECT_EQ(e.status(), c.status) << i;
      if (e.status() == 403) {
        EXPECT_EQ(e.code(), "permission_denied") << i;
        EXPECT_EQ(e.details().at("user_id").as_string(), c.named) << i;
      } else {
        EXPECT_EQ(e.details().at("field").as_string(), "member_ids") << i;
        EXPECT_NE(e.message().find(c.named), std::string::npos) << i;
      }
    }
  }
}

TEST(Groups, WhoMayRemoveWhom) {
  EXPECT_TRUE(may_remove(true, Role::member, Role::member));  // leaving
  EXPECT_TRUE(may_remove(false, Role::owner, Role::admin));
  EXPECT_TRUE(may_remove(false, Role::admin, Role::member));
  EXPECT_FALSE(may_remove(false, Role::admin, Role::admin));
  EXPECT_FALSE(may_remove(false, Role::admin, Role::owner));
  EXPECT_FALSE(may_remove(false, Role::member, Role::member));
}

TEST(Messages, WhoMayDelete) {
  EXPECT_TRUE(may_delete_message(true, false, Role::member));
  EXPECT_FALSE(may_delete_message(false, false, Role::owner));  // no moderators in a direct chat
  EXPECT_TRUE(may_delete_message(false, true, Role::admin));
  EXPECT_FALSE(may_delete_message(false, true, Role::member));
}

TEST(Messages, BodyLengthCountsCharacters) {
  EXPECT_THROW(check_body(""), Error);
  EXPECT_NO_THROW(check_body(std::string(4000, 'x')));
  EXPECT_THROW(check_body(std::string(4001, 'x')), Error);
  std::string emoji;
  for (int i = 0; i < 4000; ++i) emoji += "\xf0\x9f\x98\x80";  // 4000 characters, 16000 bytes
  EXPECT_NO_THROW(check_body(emoji));
  EXPECT_NO_THROW(check_body("  "));  // stored as sent
}

TEST(Groups, TitlesAndClientIds) {
  EXPECT_EQ(normalize_title("  Team  "), "Team");
  EXPECT_THROW(normalize_title(" "), Error);
  EXPECT_THROW(normalize_title(std::string(101, 'x')), Error);
  EXPECT_THROW(normalize_title("Team\xe2\x80\xae"), Error);   // U+202E
  EXPECT_EQ(normalize_title("Cafe\xcc\x81"), "Caf\xc3\xa9");  // NFC
  EXPECT_NO_THROW(check_client_id("c-1"));
  EXPECT_THROW(check_client_id(""), Error);
  EXPECT_THROW(check_client_id("has space"), Error);
  EXPECT_THROW(check_client_id(std::string(65, 'x')), Error);
}

}  // namespace
}  // namespace parley::messages
