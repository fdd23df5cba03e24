#include "store/sync_tail.hpp"

#include <algorithm>

namespace parley::messages {

void SyncTail::cover(Event event, std::vector<std::string>& woken) {
  high_ = event.gseq;
  if (event.audience)
    for (const auto& user : *event.audience) {
      by_user_[user].emplace_back(event.gseq, event.payload);
      woken.push_back(user);
    }
  held_.push_back(std::move(event));
  if (held_.size() > max_events_) drop_front();
}

std::vector<std::string> SyncTail::add(std::vector<Event> events) {
  std::vector<std::string> woken;
  std::lock_guard lock(mutex_);
  if (events.empty()) return woken;
  if (!started_) {
    // The first events seen: the tail starts just before the lowest of them.
    auto lowest = std::min_element(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.gseq < b.gseq; });
    low_ = high_ = lowest->gseq - 1;
    started_ = true;
  }
  bool had_gap = !waiting_.empty();
  for (auto& e : events)
    if (e.gseq > high_) waiting_.emplace(e.gseq, std::move(e));
  while (!waiting_.empty() && waiting_.begin()->first == high_ + 1) {
    cover(std::move(waiting_.begin()->second), woken);
    waiting_.erase(waiting_.begin());
  }
  if (waiting_.empty()) {
    had_gap = false;
  } else if (!had_gap || !woken.empty()) {
    gap_since_ = std::chrono::steady_clock::now();  // a new gap, or one that moved up
  }
  return woken;
}

std::optional<SyncTail::Answer> SyncTail::after(const std::string& user, std::int64_t cursor, std::size_t limit) const {
  std::lock_guard lock(mutex_);
  if (!started_ || cursor < low_ || cursor > high_) return std::nullopt;
  Answer out{{}, high_};
  auto found = by_user_.find(user);
  if (found == by_user_.end()) return out;
  const auto& mine = found->second;
  auto it = std::upper_bound(mine.begin(), mine.end(), cursor, [](std::int64_t c, const auto& e) { return c < e.first; });
  for (; it != mine.end() && out.events.size() < limit; ++it) out.events.emplace_back(it->first, it->second);
  if (it != mine.end()) out.cursor = out.events.back().first;  // more follow: the next poll gets them
  return out;
}

void SyncTail::drop_front() {
  const Event& e = held_.front();
  if (e.audience)
    for (const auto& user : *e.audience) {
      auto it = by_user_.find(user);
      if (it == by_user_.end()) continue;
      // The oldest event held is the oldest of each of its users.
      if (!it->second.empty() && it->second.front().first == e.gseq) it->second.pop_front();
      if (it->second.empty()) by_user_.erase(it);
    }
  low_ = e.gseq;
  held_.pop_front();
}

void SyncTail::forget_before(std::int64_t cutoff_ms) {
  std::lock_guard lock(mutex_);
  while (!held_.empty() && held_.front().at_ms < cutoff_ms) drop_front();
}

bool SyncTail::skip_gap(std::chrono::steady_clock::duration stuck) {
  std::lock_guard lock(mutex_);
  if (waiting_.empty() || std::chrono::steady_clock::now() - gap_since_ < stuck) return false;
  // What was held before the gap stays true, but the tail must be one run: start over after it.
  held_.clear();
  by_user_.clear();
  low_ = high_ = waiting_.begin()->first - 1;
  std::vector<std::string> ignored;
  while (!waiting_.empty() && waiting_.begin()->first == high_ + 1) {
    cover(std::move(waiting_.begin()->second), ignored);
    waiting_.erase(waiting_.begin());
  }
  gap_since_ = std::chrono::steady_clock::now();
  return true;
}

std::int64_t SyncTail::high() const {
  std::lock_guard lock(mutex_);
  return high_;
}

std::size_t SyncTail::users() const {
  std::lock_guard lock(mutex_);
  return by_user_.size();
}

}  // namespace parley::messages
