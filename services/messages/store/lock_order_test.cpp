// The lock order of store/lock_order.hpp: what the types refuse to compile, and what a write
// that breaks it at run time meets (on SQLite: the checks need no second writer).

#include "store/lock_order.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <type_traits>

#include "parley/storage/test_support.hpp"
#include "store/conversations.hpp"
#include "store/messages.hpp"
#include "store/schema.hpp"
#include "store/sync_log.hpp"

namespace parley::messages {
namespace {

using storage::Tx;

// Only the sync log makes a proof of the clock: no number, default or copy makes one.
static_assert(!std::is_constructible_v<store::ClockHeld, std::int64_t>);
static_assert(!std::is_default_constructible_v<store::ClockHeld>);
static_assert(!std::is_copy_constructible_v<store::ClockHeld>);
// A members row is written with a proof of the clock, never with a gseq of the caller's.
static_assert(!std::is_invocable_v<decltype(&store::add_member), Tx&, const std::string&,
                                   const std::string&, Role, const std::string&, std::int64_t>);
static_assert(!std::is_invocable_v<decltype(&store::remove_member), Tx&, const std::string&,
                                   const std::string&, std::int64_t>);

class LockOrder : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    db_ = storage::testing::open_fresh_sqlite("lockorder", "db" + std::to_string(++n) + ".db",
                                              messages_migrations());
    db_->write_sync([](Tx& tx) {
      store::insert_conversation(tx, ConversationRow{"c", "group", "T", "t", 0, "t"}, std::nullopt);
      auto clock = store::lock_sync_head(tx);
      store::add_member(tx, "c", "ann", Role::owner, "t", clock);
    });
  }
  std::unique_ptr<storage::Database> db_;
};

TEST_F(LockOrder, ConversationRowsThenTheClockThenMembersIsTheOrder) {
  EXPECT_NO_THROW(db_->write_sync([](Tx& tx) {
    store::touch(tx, "c", "t2");
    auto clock = store::lock_sync_head(tx);
    store::add_member(tx, "c", "ben", Role::member, "t2", clock);
    store::set_role(tx, "c", "ben", Role::admin, clock);
    // The row this write locked before the clock is its own already (the last member leaving
    // clears the invite code of the conversation it touched first).
    store::clear_invite(tx, "c");
    const std::string c = "c", p = "p";
    store::append_events(tx, {{&c, nullptr, &p}}, 1000);  // the clock again: held already
  }));
}

TEST_F(LockOrder, ConversationOrMessageRowsAfterTheClockAreRefused) {
  EXPECT_THROW(db_->write_sync([](Tx& tx) {
    store::lock_sync_head(tx);
    store::touch(tx, "c", "t2");
  }),
               std::logic_error);
  EXPECT_THROW(db_->write_sync([](Tx& tx) {
    const std::string c = "c", p = "p";
    store::append_events(tx, {{&c, nullptr, &p}}, 1000);  // takes the clock to number the event
    store::insert_messages(
        tx, {MessageRow{"m", "c", 1, "ann", "hi", std::nullopt, "t", std::nullopt, false}});
  }),
               std::logic_error);
  // Nothing of either was committed.
  db_->read_sync([](Tx& tx) {
    EXPECT_EQ(store::conversation(tx, "c")->last_activity_at, "t");
    EXPECT_EQ(store::sync_head(tx).last, 0);
  });
}

TEST_F(LockOrder, AProofFromAnotherTransactionIsRefused) {
  auto stale = db_->write_sync_returning([](Tx& tx) { return store::lock_sync_head(tx); });
  EXPECT_THROW(db_->write_sync(
                   [&](Tx& tx) { store::add_member(tx, "c", "ben", Role::member, "t2", stale); }),
               std::logic_error);
  // Nor does a clock taken in this write vouch for a proof from before.
  EXPECT_THROW(db_->write_sync([&](Tx& tx) {
    store::lock_sync_head(tx);
    store::add_member(tx, "c", "ben", Role::member, "t2", stale);
  }),
               std::logic_error);
  db_->read_sync([](Tx& tx) { EXPECT_EQ(store::members(tx, "c").size(), 1u); });
}

TEST_F(LockOrder, TheProofCarriesTheGseqWhereASpanStartsOrEnds) {
  std::int64_t taken = 0, appended_last = 0;
  db_->write_sync([&](Tx& tx) {
    const std::string c = "c", p = "p";
    auto appended = store::append_events(tx, {{&c, nullptr, &p}, {&c, nullptr, &p}}, 1000);
    ASSERT_TRUE(appended.clock);
    appended_last = appended.clock->gseq();
    EXPECT_EQ(appended_last, appended.first + 1);
    auto clock = store::lock_sync_head(tx);
    taken = clock.gseq();
    store::add_member(tx, "c", "ben", Role::member, "t2", clock);
  });
  EXPECT_EQ(taken, appended_last);
  db_->read_sync([&](Tx& tx) {
    // ben joined after both events: he reads neither.
    EXPECT_TRUE(store::read_sync(tx, "ben", 0, 10).events.empty());
    EXPECT_EQ(store::read_sync(tx, "ann", 0, 10).events.size(), 2u);
  });
}

}  // namespace
}  // namespace parley::messages
