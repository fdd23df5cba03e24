#include "store/sync_tail.hpp"

#include <gtest/gtest.h>

namespace parley::messages {
namespace {

SyncTail::Payload p(const char* s) { return std::make_shared<const std::string>(s); }

std::vector<std::int64_t> seqs(const SyncTail::Events& e) {
  std::vector<std::int64_t> out;
  for (const auto& [s, _] : e) out.push_back(s);
  return out;
}

TEST(SyncTail, ServesWhatItCoversAndDefersTheRest) {
  SyncTail tail(3);
  EXPECT_FALSE(tail.after("u", 0, 10));  // never seen: ask the database
  tail.append("u", 5, p("e5"), 0);
  tail.append("u", 6, p("e6"), 0);
  EXPECT_EQ(seqs(*tail.after("u", 4, 10)), (std::vector<std::int64_t>{5, 6}));
  EXPECT_EQ(seqs(*tail.after("u", 5, 10)), (std::vector<std::int64_t>{6}));
  EXPECT_TRUE(tail.after("u", 6, 10)->empty());  // nothing newer
  EXPECT_FALSE(tail.after("u", 3, 10));          // older than the tail
  EXPECT_FALSE(tail.after("u", 7, 10));          // ahead of the tail: the database decides
  EXPECT_EQ(seqs(*tail.after("u", 4, 1)), (std::vector<std::int64_t>{5}));
}

TEST(SyncTail, KeepsABoundedContiguousTail) {
  SyncTail tail(3);
  for (int s = 1; s <= 5; ++s) tail.append("u", s, p("x"), 0);
  EXPECT_FALSE(tail.after("u", 1, 10));
  EXPECT_EQ(seqs(*tail.after("u", 2, 10)), (std::vector<std::int64_t>{3, 4, 5}));
  tail.append("u", 9, p("after a gap"), 0);  // starts over rather than pretend 6..8 exist
  EXPECT_FALSE(tail.after("u", 5, 10));
  EXPECT_EQ(seqs(*tail.after("u", 8, 10)), (std::vector<std::int64_t>{9}));
  tail.forget_idle(std::chrono::seconds(0));
  EXPECT_EQ(tail.users(), 0u);
}

TEST(SyncTail, PruningLeavesOldCursorsToTheDatabase) {
  SyncTail tail(10);
  tail.append("u", 1, p("old"), 1000);
  tail.append("u", 2, p("new"), 5000);
  tail.forget_before(2000);  // the database pruned what was stored before 2000 ms
  EXPECT_FALSE(tail.after("u", 0, 10));  // seq 1 is gone: the database answers (410)
  EXPECT_EQ(seqs(*tail.after("u", 1, 10)), (std::vector<std::int64_t>{2}));
}

TEST(SyncTail, EventsArrivingOutOfOrderAreServedOnceTheGapCloses) {
  // Replicas: another replica's events come with its wake-ups, later than this one's own.
  SyncTail tail(10);
  tail.append("u", 1, p("e1"), 0);
  tail.append("u", 3, p("mine"), 0);  // 2 was committed elsewhere; its wake-up is on its way
  EXPECT_EQ(seqs(*tail.after("u", 0, 10)), (std::vector<std::int64_t>{1}));  // up to the gap only
  EXPECT_FALSE(tail.after("u", 1, 10));  // the gap: the database answers
  EXPECT_TRUE(tail.after("u", 3, 10)->empty());
  tail.append("u", 2, p("theirs"), 0);
  tail.append("u", 2, p("again"), 0);  // a repeated wake-up changes nothing
  auto all = *tail.after("u", 0, 10);
  EXPECT_EQ(seqs(all), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(*all[1].second, "theirs");
}

}  // namespace
}  // namespace parley::messages
