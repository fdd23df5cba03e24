#include "domain/throttle.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

using std::chrono::milliseconds;

TEST(LoginThrottle, LocksAnAccountAfterTooManyFailuresUntilTheWindowPasses) {
  LoginThrottle t({.max_failures_per_account = 3, .account_window = milliseconds(60'000)});
  auto t0 = time::from_unix_ms(1'000'000);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.account_wait("u", t0), 0);
    t.record_failure("u", t0 + milliseconds(i * 1000));
  }
  auto wait = t.account_wait("u", t0 + milliseconds(3000));
  EXPECT_EQ(wait, 57'000);  // the first failure leaves the window at t0 + 60 s
  EXPECT_EQ(t.account_wait("other", t0), 0);
  EXPECT_EQ(t.account_wait("u", t0 + milliseconds(60'001)), 0);
}

TEST(LoginThrottle, SuccessClearsFailures) {
  LoginThrottle t({.max_failures_per_account = 2});
  auto t0 = time::from_unix_ms(5'000);
  t.record_failure("u", t0);
  t.record_success("u");
  t.record_failure("u", t0);
  EXPECT_EQ(t.account_wait("u", t0), 0);
}

// Checks started together hold places among the allowed failures: no more run at once than the
// account may still fail, so a burst of guesses cannot all be checked before the lock.
TEST(LoginThrottle, ChecksInFlightCountAgainstTheFailuresLeft) {
  using O = LoginThrottle::Outcome;
  LoginThrottle t({.max_failures_per_account = 3, .account_window = milliseconds(60'000)});
  auto t0 = time::from_unix_ms(1'000'000);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.begin_check("u", t0), 0) << i;
  EXPECT_GT(t.begin_check("u", t0), 0);           // three in flight: full
  EXPECT_EQ(t.begin_check("other", t0), 0);       // per account
  t.finish_check("u", O::unfinished, t0);         // a place back, no failure
  EXPECT_EQ(t.begin_check("u", t0), 0);
  for (int i = 0; i < 3; ++i) t.finish_check("u", O::failed, t0 + milliseconds(i));
  EXPECT_EQ(t.begin_check("u", t0 + milliseconds(10)), 60'000 - 10);  // three failures: locked
  EXPECT_EQ(t.begin_check("u", t0 + milliseconds(60'001)), 0);        // the window passed
  t.finish_check("u", O::succeeded, t0 + milliseconds(60'002));        // success clears
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.begin_check("u", t0 + milliseconds(60'003)), 0) << i;
}

TEST(LoginThrottle, LimitsAttemptsPerAddress) {
  LoginThrottle t({.max_attempts_per_address = 2, .address_window = milliseconds(1000)});
  auto t0 = time::from_unix_ms(0);
  EXPECT_EQ(t.admit_address("1.2.3.4", t0), 0);
  EXPECT_EQ(t.admit_address("1.2.3.4", t0 + milliseconds(10)), 0);
  EXPECT_EQ(t.admit_address("1.2.3.4", t0 + milliseconds(20)), 980);
  EXPECT_EQ(t.admit_address("5.6.7.8", t0 + milliseconds(20)), 0);
  EXPECT_EQ(t.admit_address("1.2.3.4", t0 + milliseconds(1001)), 0);
}

}  // namespace
}  // namespace parley::auth
