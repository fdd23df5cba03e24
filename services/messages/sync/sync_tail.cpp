#include "sync/sync_tail.hpp"

#include <algorithm>
#include <unordered_set>

namespace parley::messages {

namespace {
// Far enough for any real burst between two wake-ups; a gseq beyond it is not from this log.
constexpr std::int64_t kMaxJump = 1'000'000'000;
}  // namespace

void SyncTail::cover(Event event, std::unordered_set<std::string>& woken) {
  high_ = event.gseq;
  if (event.audience)
    for (const auto& user : *event.audience) {
      by_user_[user].emplace_back(event.gseq, event.payload);
      woken.insert(user);
      ++entries_;
    }
  held_.push_back(std::move(event));
  while (entries_ > max_entries_ && held_.size() > 1) drop_front();
}

std::vector<std::string> SyncTail::add(std::vector<Event> events) {
  std::unordered_set<std::string> woken;
  std::lock_guard lock(mutex_);
  std::erase_if(events, [&](const Event& e) { return e.gseq <= 0 || (started_ && e.gseq - high_ > kMaxJump); });
  if (events.empty()) return {};
  if (!started_) {
    // The first events seen: the tail starts just before the lowest of them.
    auto lowest = std::min_element(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.gseq < b.gseq; });
    low_ = high_ = lowest->gseq - 1;
    started_ = true;
  }
  bool had_gap = !waiting_.empty();
  bool moved = false;
  for (auto& e : events)
    if (e.gseq > high_) waiting_.emplace(e.gseq, std::move(e));
  while (!waiting_.empty() && waiting_.begin()->first == high_ + 1) {
    cover(std::move(waiting_.begin()->second), woken);
    waiting_.erase(waiting_.begin());
    moved = true;
  }
  if (!waiting_.empty() && (!had_gap || moved)) gap_since_ = std::chrono::steady_clock::now();  // a new gap
  return {woken.begin(), woken.end()};
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
      if (!it->second.empty() && it->second.front().first == e.gseq) {
        it->second.pop_front();
        --entries_;
      }
      if (it->second.empty()) by_user_.erase(it);
    }
  low_ = e.gseq;
  held_.pop_front();
}

void SyncTail::forget_before(std::int64_t cutoff_ms) {
  std::lock_guard lock(mutex_);
  while (!held_.empty() && held_.front().at_ms < cutoff_ms) drop_front();
}

void SyncTail::restart_locked(std::int64_t gseq) {
  // What was held stays true, but the tail must be one run: it starts over after gseq, and
  // cursors before that go to the database.
  held_.clear();
  by_user_.clear();
  entries_ = 0;
  low_ = high_ = std::max(high_, gseq);
  started_ = true;
  while (!waiting_.empty() && waiting_.begin()->first <= high_) waiting_.erase(waiting_.begin());
  std::unordered_set<std::string> ignored;
  while (!waiting_.empty() && waiting_.begin()->first == high_ + 1) {
    cover(std::move(waiting_.begin()->second), ignored);
    waiting_.erase(waiting_.begin());
  }
  gap_since_ = std::chrono::steady_clock::now();
  behind_ = 0;
}

void SyncTail::restart_after(std::int64_t gseq) {
  std::lock_guard lock(mutex_);
  restart_locked(gseq);
}

std::optional<SyncTail::Range> SyncTail::missing(std::optional<std::int64_t> database_head,
                                                  std::chrono::steady_clock::duration stuck) {
  std::lock_guard lock(mutex_);
  if (!started_) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  if (!waiting_.empty() && now - gap_since_ >= stuck) return Range{high_ + 1, waiting_.begin()->first - 1};
  if (!database_head || *database_head <= high_) {
    behind_ = 0;
    return std::nullopt;
  }
  if (behind_ == 0 || high_ >= behind_) {  // newly behind, or it reached the last mark in time
    behind_ = *database_head;
    behind_since_ = now;
    return std::nullopt;
  }
  if (now - behind_since_ < stuck) return std::nullopt;
  // Everything up to the mark had committed when it was read: a second later it has not come.
  return Range{high_ + 1, behind_};
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
