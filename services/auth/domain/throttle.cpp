#include "domain/throttle.hpp"

namespace parley::auth {

LoginThrottle::LoginThrottle(Options options) : options_(options) {}

std::int64_t LoginThrottle::wait(Window& w, int limit, std::chrono::milliseconds window, time::TimePoint now) {
  while (!w.empty() && w.front() + window <= now) w.pop_front();
  if (static_cast<int>(w.size()) < limit) return 0;
  auto until = w[w.size() - static_cast<std::size_t>(limit)] + window;
  return std::max<std::int64_t>(1, (until - now).count());
}

void LoginThrottle::prune(std::unordered_map<std::string, Window>& map, std::chrono::milliseconds window,
                          time::TimePoint now) {
  if (map.size() < 100'000) return;
  for (auto it = map.begin(); it != map.end();) {
    if (it->second.empty() || it->second.back() + window <= now) it = map.erase(it);
    else ++it;
  }
}

std::int64_t LoginThrottle::admit_address(std::string_view address, time::TimePoint now) {
  std::lock_guard lock(mutex_);
  prune(addresses_, options_.address_window, now);
  Window& w = addresses_[std::string(address)];
  std::int64_t ms = wait(w, options_.max_attempts_per_address, options_.address_window, now);
  if (ms == 0) w.push_back(now);
  return ms;
}

std::int64_t LoginThrottle::account_wait(std::string_view account, time::TimePoint now) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(std::string(account));
  if (it == accounts_.end()) return 0;
  return wait(it->second, options_.max_failures_per_account, options_.account_window, now);
}

void LoginThrottle::record_failure(std::string_view account, time::TimePoint now) {
  std::lock_guard lock(mutex_);
  prune(accounts_, options_.account_window, now);
  Window& w = accounts_[std::string(account)];
  w.push_back(now);
  while (static_cast<int>(w.size()) > options_.max_failures_per_account) w.pop_front();
}

void LoginThrottle::record_success(std::string_view account) {
  std::lock_guard lock(mutex_);
  accounts_.erase(std::string(account));
}

std::int64_t LoginThrottle::begin_check(std::string_view account, time::TimePoint now) {
  std::lock_guard lock(mutex_);
  std::string key(account);
  int failures = 0;
  if (auto it = accounts_.find(key); it != accounts_.end()) {
    // Locked by failures alone: until the oldest that counts leaves the window.
    if (auto ms = wait(it->second, options_.max_failures_per_account, options_.account_window, now); ms > 0) return ms;
    failures = static_cast<int>(it->second.size());
  }
  int in_flight = 0;
  if (auto c = checking_.find(key); c != checking_.end()) in_flight = c->second;
  // The places left are taken by checks in flight, which end within a second or so.
  if (failures + in_flight >= options_.max_failures_per_account) return 1000;
  ++checking_[key];
  return 0;
}

void LoginThrottle::finish_check(std::string_view account, Outcome outcome, time::TimePoint now) {
  std::string key(account);
  {
    std::lock_guard lock(mutex_);
    if (auto c = checking_.find(key); c != checking_.end() && --c->second <= 0) checking_.erase(c);
  }
  if (outcome == Outcome::failed) record_failure(account, now);
  else if (outcome == Outcome::succeeded) record_success(account);
}

}  // namespace parley::auth
