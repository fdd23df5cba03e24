#pragma once
// Login throttling: failed logins per account and all login attempts per client address, in
// sliding windows. In memory, per process.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "parley/core/time.hpp"

namespace parley::auth {

class LoginThrottle {
 public:
  struct Options {
    int max_failures_per_account = 10;                      // within account_window
    std::chrono::milliseconds account_window{15 * 60'000};
    int max_attempts_per_address = 100;                     // within address_window
    std::chrono::milliseconds address_window{60'000};
  };
  explicit LoginThrottle(Options options);

  // Counts an attempt from address; returns milliseconds to wait if it is over its limit, else 0.
  std::int64_t admit_address(std::string_view address, time::TimePoint now);
  // Milliseconds to wait before the account may try again, else 0.
  std::int64_t account_wait(std::string_view account, time::TimePoint now);
  void record_failure(std::string_view account, time::TimePoint now);
  void record_success(std::string_view account);

  // A login's password check holds a place among the account's allowed failures while it runs,
  // so that checks started together cannot all run before the first failure is counted (they
  // would get past the limit many times over). Returns milliseconds to wait if the account's
  // failures and checks in flight fill the limit, else 0 and the place is taken; finish_check
  // gives it back, counting a failure or clearing them on success (or neither: the check did
  // not run to its end).
  enum class Outcome { failed, succeeded, unfinished };
  std::int64_t begin_check(std::string_view account, time::TimePoint now);
  void finish_check(std::string_view account, Outcome outcome, time::TimePoint now);

 private:
  using Window = std::deque<time::TimePoint>;
  static std::int64_t wait(Window& w, int limit, std::chrono::milliseconds window, time::TimePoint now);
  void prune(std::unordered_map<std::string, Window>& map, std::chrono::milliseconds window, time::TimePoint now);

  Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> accounts_;
  std::unordered_map<std::string, Window> addresses_;
  std::unordered_map<std::string, int> checking_;  // checks in flight per account
};

}  // namespace parley::auth
