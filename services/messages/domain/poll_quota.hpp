#pragma once
// How many long polls one user may have parked at once. Past the cap the user's oldest parked
// poll is let go (answered at once, with what it has: usually nothing and a cursor), so that a
// well-behaved client simply polls again, and one that opens poll after poll holds no more than
// the cap. No I/O: the caller releases the polls this returns.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::messages {

class PollQuota {
 public:
  using Id = std::uint64_t;
  using Release = std::function<void()>;

  explicit PollQuota(std::size_t max_per_user) : max_per_user_(max_per_user) {}
  PollQuota(const PollQuota&) = delete;
  PollQuota& operator=(const PollQuota&) = delete;

  // Any thread. Counts a newly parked poll of user; release is how to let it go. Returns its id,
  // and in evicted the releases of the user's oldest polls that no longer fit (they are not
  // counted any more), for the caller to call once it holds no lock.
  Id park(const std::string& user, Release release, std::vector<Release>& evicted);
  // Any thread: the poll is answered (or was evicted: then nothing happens).
  void leave(const std::string& user, Id id);

  std::size_t parked(const std::string& user) const;

 private:
  const std::size_t max_per_user_;
  mutable std::mutex mutex_;
  Id next_id_ = 1;  // increasing: a smaller id is an older poll
  std::unordered_map<std::string, std::map<Id, Release>> polls_;  // users with parked polls
};

}  // namespace parley::messages
