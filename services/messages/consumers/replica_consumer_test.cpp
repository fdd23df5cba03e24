#include "consumers/replica_consumer.hpp"

#include <gtest/gtest.h>


#include "parley/events/outbox.hpp"
#include "parley/events/test_support.hpp"
#include "parley/storage/test_support.hpp"
#include "store/people.hpp"
#include "store/schema.hpp"

namespace parley::messages {
namespace {

class ReplicaConsumer : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::testing::open_fresh_sqlite(
        "replica", std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db",
        messages_migrations());
    handle_ = replica_consumer().handler(*db_);
    for (const auto& [id, name] : {std::pair{"alice", "alice"}, {"bob", "bob"}})
      handle_(events::make_event(
          events::UserRegistered{id, name, name + std::string("@x"), name, "t"}));
  }

  // What the replica lets alice do towards bob.
  DirectFacts facts() {
    std::optional<DirectFacts> f;
    db_->read_sync([&](storage::Tx& tx) { f = store::direct_facts(tx, "alice", "bob"); });
    return f.value_or(DirectFacts{.blocked = true});
  }
  std::int64_t inbox() {
    std::int64_t n = 0;
    db_->read_sync(
        [&](storage::Tx& tx) { n = tx.query("SELECT COUNT(*) FROM inbox")[0].integer(0); });
    return n;
  }

  std::unique_ptr<storage::Database> db_;
  events::EventHandler handle_;
};

TEST_F(ReplicaConsumer, KeepsContactsBlocksAndPolicies) {
  handle_(events::make_event(events::UserProfileUpdated{"bob", "bob", "Bob", "", "contacts", "t"}));
  EXPECT_TRUE(facts().recipient_contacts_only);
  EXPECT_FALSE(facts().contacts);
  handle_(events::make_event(events::ContactAccepted{"r1", "bob", "alice", "t"}));
  EXPECT_TRUE(facts().contacts);
  handle_(events::make_event(events::BlockAdded{"bob", "alice"}));
  EXPECT_TRUE(facts().blocked);
  handle_(events::make_event(events::BlockRemoved{"bob", "alice"}));
  EXPECT_FALSE(facts().blocked);
  handle_(events::make_event(events::ContactRemoved{"alice", "bob", "removed"}));
  EXPECT_FALSE(facts().contacts);
}

// An event missing a field, or with one of the wrong type, changes nothing at all: it is refused
// before the transaction (the contact is not half made, with an empty id on one side), and is not
// recorded in the inbox, so that the same event corrected applies.
TEST_F(ReplicaConsumer, AMalformedEventAppliesNothing) {
  std::vector<events::testing::Malformed> cases{
      {"contact.accepted",
       {{"request_id", "r1"}, {"from_user_id", "bob"}, {"since", "t"}},
       "to_user_id"},
      {"contact.accepted",
       {{"request_id", "r1"}, {"from_user_id", "bob"}, {"to_user_id", 12}, {"since", "t"}},
       "to_user_id"},
      {"block.added", {{"blocker_id", "bob"}}, "blocked_id"},
      {"user.profile_updated",
       {{"user_id", "bob"},
        {"username", "bob"},
        {"display_name", "Bob"},
        {"dm_policy", "contacts"}},
       "bio"},
      {"user.deleted", {{"username", "bob"}}, "user_id"},
  };
  auto before = inbox();
  events::testing::expect_each_refused(handle_, cases);
  EXPECT_FALSE(facts().contacts);
  EXPECT_FALSE(facts().blocked);
  EXPECT_FALSE(facts().recipient_contacts_only);
  EXPECT_EQ(inbox(), before);
  std::optional<Person> bob;
  db_->read_sync([&](storage::Tx& tx) { bob = store::person(tx, "bob"); });
  EXPECT_TRUE(bob.has_value()) << "bob was not erased by a user.deleted without user_id";
}

// The replica decides who may write to whom: a profile event with a policy it does not know (an
// empty one would read as "everyone") is refused whole, and a contacts-only account stays so.
TEST_F(ReplicaConsumer, APolicyItDoesNotKnowIsRefusedAndTheOldOneKept) {
  handle_(events::make_event(events::UserProfileUpdated{"bob", "bob", "Bob", "", "contacts", "t"}));
  ASSERT_TRUE(facts().recipient_contacts_only);
  std::vector<events::testing::Malformed> cases;
  for (const char* policy : {"", "Everyone", "nobody"})
    cases.push_back({"user.profile_updated",
                     {{"user_id", "bob"}, {"username", "bob"}, {"display_name", "Bob"}, {"bio", ""},
                      {"dm_policy", policy}, {"created_at", "t"}},
                     "dm_policy"});
  events::testing::expect_each_refused(handle_, cases);
  EXPECT_TRUE(facts().recipient_contacts_only);
}

}  // namespace
}  // namespace parley::messages
