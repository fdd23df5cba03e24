#pragma once
// Password-guess throttling and per-address rate limits. In memory, per process.
//
// Guesses are counted per key, and the handlers make a key of what was tried and from where: the
// login as typed and the client address (login), or the account and the client address (password
// change, account deletion). So a stranger's failures never slow down the owner's attempts from
// another address, and the answer for one login (a username) says nothing about another (the
// account's email). After free_failures failures, each further check of a key waits a growing
// delay after the last failure instead of a hard lock.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "parley/core/time.hpp"

namespace parley::auth {

struct GuessOptions {
  int free_failures = 10;                               // failures before delays begin
  std::chrono::milliseconds first_delay{1000};          // after the free failures
  std::chrono::milliseconds max_delay{15 * 60'000};     // the delay doubles up to this
  std::chrono::milliseconds forget_after{60 * 60'000};  // failures older than this are dropped
};

// What is known of one key when a check would start.
struct GuessFacts {
  int failures = 0;              // since the last success, within forget_after
  int in_flight = 0;             // checks started and not yet finished
  time::TimePoint last_failure;  // when the newest failure was counted
};

// The delay a key waits after its last failure before another check: zero within the free
// failures, then first_delay doubled per failure beyond them, at most max_delay.
std::chrono::milliseconds failure_delay(int failures, const GuessOptions& options);

// Milliseconds before another check of the key may start, 0 when it may start now. Checks in
// flight hold places among the free failures (a burst cannot all run before the first failure is
// counted); once delays apply, one check at a time.
std::int64_t guess_wait(const GuessFacts& facts, const GuessOptions& options, time::TimePoint now);

class GuessThrottle {
 public:
  explicit GuessThrottle(GuessOptions options);

  // A check holds its place from begin_check until finish_check, which counts a failure, clears
  // the key's failures on success, or neither (the check did not run to its end). Returns
  // milliseconds to wait (and takes no place), else 0.
  enum class Outcome { failed, succeeded, unfinished };
  std::int64_t begin_check(std::string_view key, time::TimePoint now);
  void finish_check(std::string_view key, Outcome outcome, time::TimePoint now);

 private:
  void prune(time::TimePoint now);

  GuessOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, GuessFacts> keys_;
};

// At most limit admissions per key within a sliding window (login attempts, registrations per
// client address).
class RateWindow {
 public:
  RateWindow(int limit, std::chrono::milliseconds window);
  // Counts an admission; returns milliseconds to wait if the key is over its limit (and then
  // counts nothing), else 0.
  std::int64_t admit(std::string_view key, time::TimePoint now);

 private:
  int limit_;
  std::chrono::milliseconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<time::TimePoint>> keys_;
};

}  // namespace parley::auth
