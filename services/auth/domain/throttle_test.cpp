#include "domain/throttle.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

using std::chrono::milliseconds;

const GuessOptions kOptions{.free_failures = 3,
                            .first_delay = milliseconds(1000),
                            .max_delay = milliseconds(8000),
                            .forget_after = milliseconds(60'000)};

TEST(FailureDelay, NoneWithinTheFreeFailuresThenDoublingUpToTheMaximum) {
  struct Case {
    int failures;
    std::int64_t delay_ms;
  };
  for (auto [failures, delay_ms] : std::vector<Case>{
           {0, 0}, {2, 0}, {3, 1000}, {4, 2000}, {5, 4000}, {6, 8000}, {7, 8000}, {1000, 8000}})
    EXPECT_EQ(failure_delay(failures, kOptions).count(), delay_ms) << failures << " failures";
}

TEST(GuessWait, Table) {
  auto t0 = time::from_unix_ms(1'000'000);
  struct Case {
    const char* what;
    GuessFacts facts;
    std::int64_t now_after_ms;
    std::int64_t wait_ms;
  };
  for (const auto& c : std::vector<Case>{
           {"fresh key", {0, 0, t0}, 0, 0},
           {"free places left", {1, 1, t0}, 0, 0},
           {"checks in flight fill the free places", {1, 2, t0}, 0, 1000},
           {"first delay after the free failures", {3, 0, t0}, 400, 600},
           {"delay passed", {3, 0, t0}, 1000, 0},
           {"delay passed, one check at a time", {3, 1, t0}, 1000, 1000},
           {"the delay doubles", {5, 0, t0}, 1000, 3000},
           {"capped", {50, 0, t0}, 0, 8000},
       })
    EXPECT_EQ(guess_wait(c.facts, kOptions, t0 + milliseconds(c.now_after_ms)), c.wait_ms)
        << c.what;
}

TEST(GuessThrottle, CountsPerKeyAndSuccessClears) {
  using O = GuessThrottle::Outcome;
  GuessThrottle t(kOptions);
  auto t0 = time::from_unix_ms(1'000'000);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(t.begin_check("bob|1.1.1.1", t0), 0) << i;
    t.finish_check("bob|1.1.1.1", O::failed, t0);
  }
  EXPECT_EQ(t.begin_check("bob|1.1.1.1", t0 + milliseconds(10)), 990);
  EXPECT_EQ(t.begin_check("bob|2.2.2.2", t0), 0);  // the owner elsewhere: not slowed down
  t.finish_check("bob|2.2.2.2", O::succeeded, t0);
  EXPECT_EQ(t.begin_check("bob|1.1.1.1", t0 + milliseconds(1000)), 0);
  t.finish_check("bob|1.1.1.1", O::failed, t0 + milliseconds(1000));
  EXPECT_EQ(t.begin_check("bob|1.1.1.1", t0 + milliseconds(1000)), 2000);  // doubled
  EXPECT_EQ(t.begin_check("bob|1.1.1.1", t0 + milliseconds(3000)), 0);
  t.finish_check("bob|1.1.1.1", O::succeeded, t0 + milliseconds(3000));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(t.begin_check("bob|1.1.1.1", t0 + milliseconds(3001)), 0) << i;
}

// Checks started together hold places among the free failures: a burst of guesses cannot all be
// checked before the first failure is counted.
TEST(GuessThrottle, ChecksInFlightCountAgainstTheFreeFailures) {
  using O = GuessThrottle::Outcome;
  GuessThrottle t(kOptions);
  auto t0 = time::from_unix_ms(1'000'000);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.begin_check("k", t0), 0) << i;
  EXPECT_GT(t.begin_check("k", t0), 0);
  t.finish_check("k", O::unfinished, t0);  // a place back, no failure
  EXPECT_EQ(t.begin_check("k", t0), 0);
  for (int i = 0; i < 3; ++i) t.finish_check("k", O::failed, t0);
  EXPECT_EQ(t.begin_check("k", t0), 1000);
  EXPECT_EQ(t.begin_check("k", t0 + milliseconds(60'000)), 0);  // forgotten
}

TEST(RateWindow, LimitsPerKeyInASlidingWindow) {
  RateWindow w(2, milliseconds(1000));
  auto t0 = time::from_unix_ms(0);
  EXPECT_EQ(w.admit("1.2.3.4", t0), 0);
  EXPECT_EQ(w.admit("1.2.3.4", t0 + milliseconds(10)), 0);
  EXPECT_EQ(w.admit("1.2.3.4", t0 + milliseconds(20)), 980);
  EXPECT_EQ(w.admit("5.6.7.8", t0 + milliseconds(20)), 0);
  EXPECT_EQ(w.admit("1.2.3.4", t0 + milliseconds(1001)), 0);
}

}  // namespace
}  // namespace parley::auth
