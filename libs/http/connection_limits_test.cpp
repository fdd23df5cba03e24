#include "parley/http/connection_limits.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley::http {
namespace {

using Verdict = ConnectionLimits::Verdict;

TEST(ConnectionLimits, RefusesPastThePerAddressCapOnlyForThatAddress) {
  ConnectionLimits limits({.max_total = 100, .max_per_address = 2});
  EXPECT_EQ(limits.admit("10.0.0.1"), Verdict::admitted);
  EXPECT_EQ(limits.admit("10.0.0.1"), Verdict::admitted);
  EXPECT_EQ(limits.admit("10.0.0.1"), Verdict::over_per_address);
  EXPECT_EQ(limits.admit("10.0.0.2"), Verdict::admitted);
  EXPECT_EQ(limits.open(), 3u);
  EXPECT_EQ(limits.open_from("10.0.0.1"), 2u);
}

TEST(ConnectionLimits, RefusesPastTheTotalCapWhateverTheAddress) {
  ConnectionLimits limits({.max_total = 3, .max_per_address = 2});
  EXPECT_EQ(limits.admit("a"), Verdict::admitted);
  EXPECT_EQ(limits.admit("b"), Verdict::admitted);
  EXPECT_EQ(limits.admit("c"), Verdict::admitted);
  EXPECT_EQ(limits.admit("d"), Verdict::over_total);
  EXPECT_EQ(limits.admit("a"), Verdict::over_total);  // the total is looked at first
  EXPECT_EQ(limits.open(), 3u);
}

TEST(ConnectionLimits, AClosedConnectionFreesItsPlace) {
  ConnectionLimits limits({.max_total = 2, .max_per_address = 1});
  ASSERT_EQ(limits.admit("a"), Verdict::admitted);
  ASSERT_EQ(limits.admit("a"), Verdict::over_per_address);
  limits.release("a");
  EXPECT_EQ(limits.open(), 0u);
  EXPECT_EQ(limits.open_from("a"), 0u);
  EXPECT_EQ(limits.admit("a"), Verdict::admitted);
  ASSERT_EQ(limits.admit("b"), Verdict::admitted);
  ASSERT_EQ(limits.admit("c"), Verdict::over_total);
  limits.release("b");
  EXPECT_EQ(limits.admit("c"), Verdict::admitted);
}

TEST(ConnectionLimits, WithoutAPerAddressCapOnlyTheTotalCounts) {
  ConnectionLimits limits({.max_total = 3, .max_per_address = 0});  // behind a trusted proxy
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits.admit("127.0.0.1"), Verdict::admitted);
  EXPECT_EQ(limits.admit("127.0.0.1"), Verdict::over_total);
  EXPECT_EQ(limits.open_from("127.0.0.1"), 0u);  // nothing kept per address
  limits.release("127.0.0.1");
  EXPECT_EQ(limits.admit("127.0.0.1"), Verdict::admitted);
}

TEST(ConnectionCapWithin, LeavesRoomForTheProcesssOwnFiles) {
  struct Case {
    std::size_t wanted, open_file_limit, expected;
  };
  const Case cases[] = {
      {100'000, 1'048'576, 100'000},  // plenty of room
      {100'000, 20'000, 18'976},      // 1024 kept back
      {100'000, 1024, 768},           // a quarter kept back
      {10, 1024, 10},
      {100, 0, 1},  // never below one
      {100, 2, 2},
  };
  for (const auto& c : cases)
    EXPECT_EQ(connection_cap_within(c.wanted, c.open_file_limit), c.expected)
        << c.wanted << " within " << c.open_file_limit;
}

}  // namespace
}  // namespace parley::http
