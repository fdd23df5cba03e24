#include "consumers/directory_consumer.hpp"

#include <gtest/gtest.h>


#include "parley/events/test_support.hpp"
#include "parley/storage/test_support.hpp"
#include "store/contacts_store.hpp"

namespace parley::contacts {
namespace {

std::unique_ptr<storage::Database> open_db(const std::string& name) {
  return storage::testing::open_fresh_sqlite("directory", name, contacts_migrations());
}

std::optional<Person> person(storage::Database& db, const std::string& id) {
  std::optional<Person> p;
  db.read_sync([&](storage::Tx& tx) { p = store::person(tx, id); });
  return p;
}

TEST(DirectoryConsumer, KeepsThePeopleOfTheDirectory) {
  auto db = open_db("directory.db");
  auto handle = directory_consumer().handler(*db);
  handle(events::make_event(events::UserRegistered{"u1", "alice", "alice@x", "", "t0"}));
  ASSERT_TRUE(person(*db, "u1"));
  EXPECT_EQ(person(*db, "u1")->display_name, "alice") << "the username when none was given";
  handle(events::make_event(
      events::UserProfileUpdated{"u1", "alice", "Alice", "hi", "everyone", "t0"}));
  EXPECT_EQ(person(*db, "u1")->display_name, "Alice");
  EXPECT_EQ(person(*db, "u1")->bio, "hi");
  handle(events::make_event(events::UserDeleted{"u1", "alice"}));
  EXPECT_FALSE(person(*db, "u1"));
}

TEST(DirectoryConsumer, AMalformedEventChangesNothing) {
  auto db = open_db("malformed.db");
  auto handle = directory_consumer().handler(*db);
  handle(events::make_event(events::UserRegistered{"u1", "alice", "alice@x", "Alice", "t0"}));
  std::vector<events::testing::Malformed> cases{
      // Before, the profile became "" with the bio kept, the missing display name read as empty.
      {"user.profile_updated",
       {{"user_id", "u1"},
        {"username", "alice"},
        {"bio", "new"},
        {"dm_policy", "everyone"},
        {"created_at", "t0"}},
       "display_name"},
      {"user.registered", {{"user_id", "u2"}, {"username", nullptr}}, "username"},
      {"user.deleted", {{"user_id", 1}, {"username", "alice"}}, "user_id"},
  };
  events::testing::expect_each_refused(handle, cases);
  auto alice = person(*db, "u1");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->display_name, "Alice");
  EXPECT_EQ(alice->bio, "");
  EXPECT_FALSE(person(*db, "u2"));
}

}  // namespace
}  // namespace parley::contacts
