#include "domain/poll_quota.hpp"

namespace parley::messages {

PollQuota::Id PollQuota::park(const std::string& user, Release release,
                              std::vector<Release>& evicted) {
  std::lock_guard lock(mutex_);
  Id id = next_id_++;
  auto& mine = polls_[user];
  mine.emplace(id, std::move(release));
  while (mine.size() > max_per_user_) {
    evicted.push_back(std::move(mine.begin()->second));
    mine.erase(mine.begin());
  }
  if (mine.empty()) polls_.erase(user);  // (a cap of 0 keeps none)
  return id;
}

void PollQuota::leave(const std::string& user, Id id) {
  std::lock_guard lock(mutex_);
  auto it = polls_.find(user);
  if (it == polls_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) polls_.erase(it);
}

std::size_t PollQuota::parked(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = polls_.find(user);
  return it == polls_.end() ? 0 : it->second.size();
}

}  // namespace parley::messages
