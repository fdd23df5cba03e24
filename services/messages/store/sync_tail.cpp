#include "store/sync_tail.hpp"

#include <algorithm>

namespace parley::messages {

void SyncTail::append(const std::string& user, std::int64_t seq, Payload payload, std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  Tail& t = tails_[user];
  if (!t.events.empty() && t.events.back().first + 1 != seq) {
    t.events.clear();
    t.stored_at_ms.clear();
  }
  t.events.emplace_back(seq, std::move(payload));
  t.stored_at_ms.push_back(at_ms);
  while (t.events.size() > per_user_) {
    t.events.pop_front();
    t.stored_at_ms.pop_front();
  }
  t.newest = std::max(t.newest, seq);
  t.touched = std::chrono::steady_clock::now();
}

void SyncTail::saw(const std::string& user, std::int64_t seq) {
  std::lock_guard lock(mutex_);
  Tail& t = tails_[user];
  t.newest = std::max(t.newest, seq);
  t.touched = std::chrono::steady_clock::now();
}

std::optional<std::int64_t> SyncTail::newest(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = tails_.find(user);
  if (it == tails_.end() || it->second.newest == 0) return std::nullopt;
  return it->second.newest;
}

std::optional<SyncTail::Events> SyncTail::after(const std::string& user, std::int64_t cursor, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  auto it = tails_.find(user);
  if (it == tails_.end() || it->second.events.empty()) return std::nullopt;
  const auto& events = it->second.events;
  std::int64_t first = events.front().first, last = events.back().first;
  if (cursor < first - 1 || cursor > last) return std::nullopt;
  Events out;
  for (auto i = static_cast<std::size_t>(cursor - first + 1); i < events.size() && out.size() < limit; ++i)
    out.push_back(events[i]);
  return out;
}

void SyncTail::forget_idle(std::chrono::steady_clock::duration idle) {
  auto cutoff = std::chrono::steady_clock::now() - idle;
  std::lock_guard lock(mutex_);
  std::erase_if(tails_, [&](const auto& kv) { return kv.second.touched < cutoff; });
}

void SyncTail::forget_before(std::int64_t cutoff_ms) {
  std::lock_guard lock(mutex_);
  for (auto& [user, t] : tails_)
    while (!t.stored_at_ms.empty() && t.stored_at_ms.front() < cutoff_ms) {
      t.events.pop_front();
      t.stored_at_ms.pop_front();
    }
}

std::size_t SyncTail::users() const {
  std::lock_guard lock(mutex_);
  return tails_.size();
}

}  // namespace parley::messages
