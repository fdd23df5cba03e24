#include "parley/async/notifier.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

namespace parley::async {
namespace {

using namespace std::chrono_literals;

// A wait with a stale version (read before the key was notified) answers at once, true.
void expect_answered_at_once(Notifier& n, const std::string& key, std::uint64_t seen) {
  asio::io_context ioc;
  auto wait = asio::co_spawn(ioc, n.wait(key, seen, 5s), asio::use_future);
  ioc.run_for(1s);
  ASSERT_EQ(wait.wait_for(0s), std::future_status::ready);
  EXPECT_TRUE(wait.get());
}

TEST(Notifier, WakesAWaiterFromAnotherThread) {
  Notifier n;
  asio::io_context ioc;
  auto started = std::chrono::steady_clock::now();
  auto result = asio::co_spawn(ioc, n.wait("alice", n.version("alice"), 5s), asio::use_future);
  std::thread other([&] {
    while (n.waiting() == 0) std::this_thread::sleep_for(1ms);
    n.notify("bob");  // someone else: no effect on alice
    n.notify("alice");
  });
  ioc.run();
  other.join();
  EXPECT_TRUE(result.get());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(n.waiting(), 0u);
}

TEST(Notifier, ANotifyBetweenCheckAndWaitIsNotLost) {
  Notifier n;
  auto seen = n.version("alice");
  n.notify("alice");  // arrives after the caller looked, before it parks
  asio::io_context ioc;
  auto result = asio::co_spawn(ioc, n.wait("alice", seen, 5s), asio::use_future);
  ioc.run_for(1s);
  ASSERT_EQ(result.wait_for(0s), std::future_status::ready);
  EXPECT_TRUE(result.get());
}

TEST(Notifier, NotifyAllWakesEveryWaiterAndLaterWaitsStillPark) {
  Notifier n;
  asio::io_context ioc;
  std::vector<std::future<bool>> waits;
  for (int i = 0; i < 10; ++i)
    waits.push_back(asio::co_spawn(ioc, n.wait("k" + std::to_string(i), 0, 60s), asio::use_future));
  std::thread other([&] {
    while (n.waiting() < 10) std::this_thread::sleep_for(1ms);
    n.notify_all();
  });
  ioc.run();
  other.join();
  for (auto& w : waits) EXPECT_TRUE(w.get());
  EXPECT_EQ(n.waiting(), 0u);
  // A key never waited on: a version read before notify_all is stale after it.
  auto seen = n.version("never-seen");
  n.notify_all();
  expect_answered_at_once(n, "never-seen", seen);
  // Unlike shutdown, it is not for ever: a new wait parks until its timeout.
  asio::io_context ioc2;
  auto later = asio::co_spawn(ioc2, n.wait("k0", n.version("k0"), 20ms), asio::use_future);
  ioc2.run();
  EXPECT_FALSE(later.get());
}

TEST(Notifier, KeysNobodyWaitsOnTakeNoMemoryAndVersionsStayComparable) {
  Notifier n;
  for (int i = 0; i < 1000; ++i) n.notify("user" + std::to_string(i));
  EXPECT_EQ(n.keys(), 0u);
  // Notifying others rarely changes a key's version (only another key of its bucket does): a
  // poll that looks at the database meanwhile is not woken again and again for nothing.
  auto mine = n.version("me");
  int changed = 0;
  for (int i = 0; i < 1000; ++i) {
    n.notify("other" + std::to_string(i));
    if (n.version("me") != mine) {
      ++changed;
      mine = n.version("me");
    }
  }
  EXPECT_LT(changed, 10);
  // A waiter is woken and its key goes away; a version read while it was there is still stale
  // after the notify, so a poll that looked in between does not park.
  asio::io_context ioc;
  auto first = asio::co_spawn(ioc, n.wait("k", n.version("k"), 5s), asio::use_future);
  ioc.run_for(50ms);
  EXPECT_EQ(n.keys(), 1u);
  auto seen = n.version("k");
  n.notify("k");
  ioc.restart();
  ioc.run_for(50ms);
  EXPECT_TRUE(first.get());
  EXPECT_EQ(n.keys(), 0u);
  expect_answered_at_once(n, "k", seen);
  // A timed-out waiter leaves no key behind either.
  asio::io_context ioc3;
  auto timed = asio::co_spawn(ioc3, n.wait("t", n.version("t"), 10ms), asio::use_future);
  ioc3.run();
  EXPECT_FALSE(timed.get());
  EXPECT_EQ(n.keys(), 0u);
}

TEST(Notifier, TimesOutAndShutdownReleasesEveryone) {
  Notifier n;
  asio::io_context ioc;
  auto timed = asio::co_spawn(ioc, n.wait("a", 0, 20ms), asio::use_future);
  ioc.run();
  EXPECT_FALSE(timed.get());

  asio::io_context ioc2;
  std::vector<std::future<bool>> waits;
  for (int i = 0; i < 100; ++i)
    waits.push_back(asio::co_spawn(ioc2, n.wait("k" + std::to_string(i), 0, 60s), asio::use_future));
  std::thread stopper([&] {
    while (n.waiting() < 100) std::this_thread::sleep_for(1ms);
    n.shutdown();
  });
  ioc2.run();
  stopper.join();
  for (auto& w : waits) EXPECT_FALSE(w.get());
  EXPECT_EQ(n.waiting(), 0u);
}

}  // namespace
}  // namespace parley::async
