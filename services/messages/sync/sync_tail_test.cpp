#include "sync/sync_tail.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <thread>

namespace parley::messages {
namespace {

SyncTail::Event ev(std::int64_t gseq, std::vector<std::string> users, std::int64_t at_ms = 0) {
  return SyncTail::Event{gseq, std::make_shared<const std::string>("e" + std::to_string(gseq)),
                         std::make_shared<const std::vector<std::string>>(std::move(users)), at_ms};
}

std::vector<std::int64_t> gseqs(const SyncTail::Events& e) {
  std::vector<std::int64_t> out;
  for (const auto& [g, _] : e) out.push_back(g);
  return out;
}

using G = std::vector<std::int64_t>;
using U = std::vector<std::string>;

U sorted(U users) {
  std::sort(users.begin(), users.end());
  return users;
}

TEST(SyncTail, AnswersEachUserFromTheRunItHolds) {
  SyncTail tail;
  EXPECT_FALSE(tail.after("u", 0, 10));  // nothing held yet: ask the database
  EXPECT_EQ(sorted(tail.add({ev(5, {"u", "v"}), ev(6, {"v"}), ev(7, {"u"})})), (U{"u", "v"}));  // each once
  auto a = tail.after("u", 4, 10);
  ASSERT_TRUE(a);
  EXPECT_EQ(gseqs(a->events), (G{5, 7}));
  EXPECT_EQ(a->cursor, 7);
  EXPECT_EQ(*a->events[0].second, "e5");
  // v's cursor passes u's event; a user with nothing new gets the newest gseq as cursor.
  EXPECT_EQ(gseqs(tail.after("v", 5, 10)->events), (G{6}));
  EXPECT_EQ(tail.after("v", 5, 10)->cursor, 7);
  EXPECT_TRUE(tail.after("w", 4, 10)->events.empty());
  EXPECT_EQ(tail.after("w", 4, 10)->cursor, 7);
  EXPECT_TRUE(tail.after("u", 7, 10)->events.empty());
  EXPECT_FALSE(tail.after("u", 3, 10));  // older than the tail
  EXPECT_FALSE(tail.after("u", 8, 10));  // ahead of it: the database decides
  // A page that stops early ends its cursor at its last event.
  auto page = tail.after("u", 4, 1);
  EXPECT_EQ(gseqs(page->events), (G{5}));
  EXPECT_EQ(page->cursor, 5);
}

// A process starts its tail at the database's newest event: it then knows at once that nobody has
// anything newer (until the first event after a start every poll asked the database).
TEST(SyncTail, StartedAtTheDatabaseHeadItAnswersBeforeAnyEvent) {
  SyncTail tail;
  tail.restart_after(41);
  auto a = tail.after("u", 41, 10);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->events.empty());
  EXPECT_EQ(a->cursor, 41);
  EXPECT_FALSE(tail.after("u", 40, 10));  // older: the database answers
  EXPECT_FALSE(tail.after("u", 42, 10));  // ahead of what it knows
  EXPECT_EQ(tail.add({ev(42, {"u"})}), (U{"u"}));
  a = tail.after("u", 41, 10);
  ASSERT_TRUE(a);
  EXPECT_EQ(gseqs(a->events), (G{42}));
  // An event that skips one waits for the gap as usual.
  EXPECT_TRUE(tail.add({ev(44, {"u"})}).empty());
  EXPECT_EQ(tail.after("u", 42, 10)->cursor, 42);
}

TEST(SyncTail, EventsAboveAGapWaitForIt) {
  SyncTail tail;
  tail.add({ev(1, {"u"})});
  // 3 arrives (another replica's 2 is still on its way): not answerable yet, nobody woken.
  EXPECT_TRUE(tail.add({ev(3, {"u"})}).empty());
  EXPECT_TRUE(tail.after("u", 1, 10)->events.empty());
  EXPECT_EQ(tail.after("u", 1, 10)->cursor, 1);  // not past the gap
  EXPECT_EQ(sorted(tail.add({ev(2, {"v"})})), (U{"u", "v"}));
  EXPECT_EQ(gseqs(tail.after("u", 1, 10)->events), (G{3}));
  EXPECT_EQ(tail.after("v", 1, 10)->cursor, 3);
  // Repeats and events from before the tail began are ignored.
  EXPECT_TRUE(tail.add({ev(2, {"v"}), ev(0, {"u"})}).empty());
  EXPECT_EQ(gseqs(tail.after("u", 1, 10)->events), (G{3}));
}

TEST(SyncTail, AGapThatStaysIsReportedAndCanBeFilledOrGivenUp) {
  SyncTail tail;
  tail.add({ev(1, {"u"})});
  tail.add({ev(4, {"u"}), ev(5, {"v"})});  // 2 and 3 never come (a lost wake-up)
  EXPECT_FALSE(tail.missing(std::nullopt, std::chrono::hours(1)));  // not for long enough yet
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto range = tail.missing(std::nullopt, std::chrono::milliseconds(1));
  ASSERT_TRUE(range);
  EXPECT_EQ(range->from, 2);
  EXPECT_EQ(range->to, 3);
  // Filled (from the database): the run goes on through what waited, and its users wake.
  EXPECT_EQ(sorted(tail.add({ev(2, {"v"}), ev(3, {"u"})})), (U{"u", "v"}));
  EXPECT_EQ(gseqs(tail.after("u", 1, 10)->events), (G{3, 4}));
  EXPECT_FALSE(tail.missing(std::nullopt, std::chrono::milliseconds(0)));

  // Given up: the tail starts again after the gap; cursors before it go to the database.
  tail.add({ev(7, {"u"})});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  range = tail.missing(std::nullopt, std::chrono::milliseconds(1));
  ASSERT_TRUE(range);
  EXPECT_EQ(range->to, 6);
  tail.restart_after(range->to);
  EXPECT_FALSE(tail.after("u", 5, 10));
  EXPECT_EQ(gseqs(tail.after("u", 6, 10)->events), (G{7}));
}

TEST(SyncTail, ATailBehindTheDatabaseForTooLongReportsWhatItMisses) {
  SyncTail tail;
  EXPECT_FALSE(tail.missing(10, std::chrono::milliseconds(0)));  // not started: nothing to do
  tail.add({ev(1, {"u"})});
  // The database has 2 and 3; their wake-up was lost, and no later event shows a gap.
  EXPECT_FALSE(tail.missing(3, std::chrono::milliseconds(1)));  // noticed, not yet stuck
  tail.add({ev(2, {"u"})});                                      // 2 came after all; 3 did not
  EXPECT_FALSE(tail.missing(3, std::chrono::hours(1)));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto range = tail.missing(3, std::chrono::milliseconds(1));
  ASSERT_TRUE(range);
  EXPECT_EQ(range->from, 3);
  EXPECT_EQ(range->to, 3);
  EXPECT_EQ(tail.add({ev(3, {"u"})}), (U{"u"}));
  EXPECT_FALSE(tail.missing(3, std::chrono::milliseconds(0)));  // level with the database
  // Behind, but catching up: each mark reached in time starts a new one.
  EXPECT_FALSE(tail.missing(5, std::chrono::milliseconds(50)));
  tail.add({ev(4, {"u"}), ev(5, {"u"})});
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_FALSE(tail.missing(6, std::chrono::milliseconds(50)));  // 5 reached: 6 is the new mark
  EXPECT_EQ(gseqs(tail.after("u", 2, 10)->events), (G{3, 4, 5}));
}

TEST(SyncTail, IgnoresImplausibleGseqs) {
  SyncTail tail;
  EXPECT_TRUE(tail.add({ev(0, {"u"}), ev(-5, {"u"})}).empty());
  tail.add({ev(1, {"u"})});
  EXPECT_TRUE(tail.add({ev(std::numeric_limits<std::int64_t>::max(), {"u"})}).empty());
  EXPECT_EQ(tail.add({ev(2, {"u"})}), (U{"u"}));  // nothing waits above a bogus gap
  EXPECT_FALSE(tail.missing(std::nullopt, std::chrono::milliseconds(0)));
}

TEST(SyncTail, BoundsTheEntriesNotJustTheEvents) {
  SyncTail tail(4);  // entries: one per event and user
  tail.add({ev(1, {"a", "b", "c"}), ev(2, {"a", "b"})});
  EXPECT_FALSE(tail.after("a", 0, 10));  // 1 went to keep 5 entries under 4
  EXPECT_EQ(gseqs(tail.after("a", 1, 10)->events), (G{2}));
  EXPECT_EQ(tail.users(), 2u);
}

TEST(SyncTail, ForgetsOldEventsAndKeepsABoundedNumber) {
  SyncTail tail(3);
  tail.add({ev(1, {"u"}, 100), ev(2, {"v"}, 200), ev(3, {"u"}, 300), ev(4, {"u"}, 400)});
  // Bounded: 1 went, so cursor 0 is the database's; 1 onwards is held.
  EXPECT_FALSE(tail.after("u", 0, 10));
  EXPECT_EQ(gseqs(tail.after("u", 1, 10)->events), (G{3, 4}));
  tail.forget_before(350);  // 2 and 3 go
  EXPECT_FALSE(tail.after("u", 2, 10));
  EXPECT_EQ(gseqs(tail.after("u", 3, 10)->events), (G{4}));
  EXPECT_TRUE(tail.after("v", 3, 10)->events.empty());
  EXPECT_EQ(tail.users(), 1u);  // v has nothing held any more
  EXPECT_EQ(tail.high(), 4);
}

}  // namespace
}  // namespace parley::messages
