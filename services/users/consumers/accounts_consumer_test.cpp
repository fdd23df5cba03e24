#include "consumers/accounts_consumer.hpp"

#include <gtest/gtest.h>


#include "parley/storage/test_support.hpp"
#include "store/users_store.hpp"

namespace parley::users {
namespace {

TEST(AccountsConsumer, AProfilePerAccountAndNothingOfAMalformedEvent) {
  auto db = storage::testing::open_fresh_sqlite("accounts", "users.db", users_migrations());
  auto handle = accounts_consumer().handler(*db);
  auto find = [&](const std::string& id) {
    std::optional<Profile> p;
    db->read_sync([&](storage::Tx& tx) { p = store::find(tx, id); });
    return p;
  };

  handle(events::make_event(events::UserRegistered{"u1", "alice", "alice@x", "", "t0"}));
  ASSERT_TRUE(find("u1"));
  EXPECT_EQ(find("u1")->display_name, "alice");
  EXPECT_EQ(find("u1")->created_at, "t0");
  // Before, a missing created_at became an empty one; now the event is refused whole.
  EXPECT_THROW(
      handle(events::Event::make(
          "user.registered", "auth",
          {{"user_id", "u2"}, {"username", "bob"}, {"email", "b@x"}, {"display_name", "Bob"}})),
      events::MalformedEvent);
  EXPECT_FALSE(find("u2"));
  EXPECT_THROW(handle(events::Event::make("user.deleted", "auth", {{"username", "alice"}})),
               events::MalformedEvent);
  EXPECT_TRUE(find("u1"));
  handle(events::make_event(events::UserDeleted{"u1", "alice"}));
  EXPECT_FALSE(find("u1"));
}

}  // namespace
}  // namespace parley::users
