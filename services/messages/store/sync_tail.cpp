#include "store/sync_tail.hpp"

namespace parley::messages {

void SyncTail::append(const std::string& user, std::int64_t seq, Payload payload, std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  Tail& t = tails_[user];
  t.events.emplace(seq, Entry{std::move(payload), at_ms});
  while (t.events.size() > per_user_) t.events.erase(t.events.begin());
  t.touched = std::chrono::steady_clock::now();
}

std::optional<SyncTail::Events> SyncTail::after(const std::string& user, std::int64_t cursor, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  auto found = tails_.find(user);
  if (found == tails_.end() || found->second.events.empty()) return std::nullopt;
  const auto& events = found->second.events;
  if (cursor == events.rbegin()->first) return Events{};  // nothing newer known
  auto it = events.find(cursor + 1);
  if (it == events.end()) return std::nullopt;  // older than the tail, ahead of it, or a gap
  Events out;
  for (std::int64_t next = cursor + 1; it != events.end() && it->first == next && out.size() < limit; ++it, ++next)
    out.emplace_back(it->first, it->second.payload);
  return out;
}

void SyncTail::forget_idle(std::chrono::steady_clock::duration idle) {
  auto cutoff = std::chrono::steady_clock::now() - idle;
  std::lock_guard lock(mutex_);
  std::erase_if(tails_, [&](const auto& kv) { return kv.second.touched < cutoff; });
}

void SyncTail::forget_before(std::int64_t cutoff_ms) {
  std::lock_guard lock(mutex_);
  for (auto it = tails_.begin(); it != tails_.end();) {
    std::erase_if(it->second.events, [&](const auto& kv) { return kv.second.stored_at_ms < cutoff_ms; });
    it = it->second.events.empty() ? tails_.erase(it) : std::next(it);
  }
}

std::size_t SyncTail::users() const {
  std::lock_guard lock(mutex_);
  return tails_.size();
}

}  // namespace parley::messages
