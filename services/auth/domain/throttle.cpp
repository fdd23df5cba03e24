#include "domain/throttle.hpp"

#include <algorithm>

namespace parley::auth {

std::chrono::milliseconds failure_delay(int failures, const GuessOptions& options) {
  if (failures < options.free_failures) return std::chrono::milliseconds(0);
  int doublings = std::min(failures - options.free_failures, 30);
  auto delay = options.first_delay.count() << doublings;
  return std::chrono::milliseconds(std::min<std::int64_t>(delay, options.max_delay.count()));
}

std::int64_t guess_wait(const GuessFacts& facts, const GuessOptions& options, time::TimePoint now) {
  constexpr std::int64_t kUntilAChecksEnds = 1000;  // a check takes well under a second
  if (facts.failures < options.free_failures)
    return facts.failures + facts.in_flight < options.free_failures ? 0 : kUntilAChecksEnds;
  auto until = facts.last_failure + failure_delay(facts.failures, options);
  if (until > now) return std::max<std::int64_t>(1, (until - now).count());
  return facts.in_flight > 0 ? kUntilAChecksEnds : 0;
}

GuessThrottle::GuessThrottle(GuessOptions options) : options_(options) {}

void GuessThrottle::prune(time::TimePoint now) {
  if (keys_.size() < 100'000) return;
  std::erase_if(keys_, [&](const auto& kv) {
    return kv.second.in_flight == 0 && kv.second.last_failure + options_.forget_after <= now;
  });
}

std::int64_t GuessThrottle::begin_check(std::string_view key, time::TimePoint now) {
  std::lock_guard lock(mutex_);
  prune(now);
  GuessFacts& facts = keys_[std::string(key)];
  if (facts.failures > 0 && facts.last_failure + options_.forget_after <= now) facts.failures = 0;
  std::int64_t wait = guess_wait(facts, options_, now);
  if (wait == 0)
    ++facts.in_flight;
  else if (facts.failures == 0 && facts.in_flight == 0)
    keys_.erase(std::string(key));
  return wait;
}

void GuessThrottle::finish_check(std::string_view key, Outcome outcome, time::TimePoint now) {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(std::string(key));
  if (it == keys_.end()) return;
  GuessFacts& facts = it->second;
  facts.in_flight = std::max(0, facts.in_flight - 1);
  if (outcome == Outcome::failed) {
    ++facts.failures;
    facts.last_failure = now;
  } else if (outcome == Outcome::succeeded) {
    facts.failures = 0;
  }
  if (facts.failures == 0 && facts.in_flight == 0) keys_.erase(it);
}

RateWindow::RateWindow(int limit, std::chrono::milliseconds window)
    : limit_(limit), window_(window) {}

std::int64_t RateWindow::admit(std::string_view key, time::TimePoint now) {
  std::lock_guard lock(mutex_);
  if (keys_.size() >= 100'000)
    std::erase_if(keys_, [&](const auto& kv) {
      return kv.second.empty() || kv.second.back() + window_ <= now;
    });
  auto& w = keys_[std::string(key)];
  while (!w.empty() && w.front() + window_ <= now) w.pop_front();
  if (static_cast<int>(w.size()) < limit_) {
    w.push_back(now);
    return 0;
  }
  auto until = w[w.size() - static_cast<std::size_t>(limit_)] + window_;
  return std::max<std::int64_t>(1, (until - now).count());
}

}  // namespace parley::auth
