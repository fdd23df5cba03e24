#include "domain/poll_quota.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::messages {
namespace {

// Parks a poll whose release records its name in released.
PollQuota::Id park(PollQuota& quota, const std::string& user, const std::string& name,
                   std::vector<std::string>& released) {
  std::vector<PollQuota::Release> evicted;
  auto id = quota.park(
      user, [&released, name] { released.push_back(name); }, evicted);
  for (auto& release : evicted) release();
  return id;
}

TEST(PollQuota, ThePollPastTheCapLetsTheOldestGo) {
  PollQuota quota(3);
  std::vector<std::string> released;
  for (auto name : {"p1", "p2", "p3"}) park(quota, "alice", name, released);
  EXPECT_TRUE(released.empty());
  EXPECT_EQ(quota.parked("alice"), 3u);
  park(quota, "alice", "p4", released);
  EXPECT_EQ(released, std::vector<std::string>{"p1"});
  EXPECT_EQ(quota.parked("alice"), 3u);
  park(quota, "alice", "p5", released);
  EXPECT_EQ(released, (std::vector<std::string>{"p1", "p2"}));
}

TEST(PollQuota, UsersAreCountedApart) {
  PollQuota quota(2);
  std::vector<std::string> released;
  park(quota, "alice", "a1", released);
  park(quota, "alice", "a2", released);
  park(quota, "bob", "b1", released);
  park(quota, "bob", "b2", released);
  EXPECT_TRUE(released.empty());
  park(quota, "bob", "b3", released);
  EXPECT_EQ(released, std::vector<std::string>{"b1"});
  EXPECT_EQ(quota.parked("alice"), 2u);
}

TEST(PollQuota, AnAnsweredPollFreesItsPlace) {
  PollQuota quota(2);
  std::vector<std::string> released;
  auto first = park(quota, "alice", "p1", released);
  park(quota, "alice", "p2", released);
  quota.leave("alice", first);
  park(quota, "alice", "p3", released);
  EXPECT_TRUE(released.empty());
  EXPECT_EQ(quota.parked("alice"), 2u);
  quota.leave("alice", 12345);  // unknown: nothing happens
  EXPECT_EQ(quota.parked("alice"), 2u);
}

TEST(PollQuota, AnEvictedPollLeavingLaterChangesNothing) {
  PollQuota quota(1);
  std::vector<std::string> released;
  auto first = park(quota, "alice", "p1", released);
  park(quota, "alice", "p2", released);
  ASSERT_EQ(released, std::vector<std::string>{"p1"});
  quota.leave("alice", first);  // the evicted poll answers and leaves
  EXPECT_EQ(quota.parked("alice"), 1u);
  park(quota, "alice", "p3", released);
  EXPECT_EQ(released, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(quota.parked("nobody"), 0u);
}

}  // namespace
}  // namespace parley::messages
