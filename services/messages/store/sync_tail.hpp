#pragma once
// The recent tail of each user's sync log, in memory, so that a woken long poll is answered
// without a database read. Filled after commit, in commit order; the database stays the truth:
// whatever the tail does not cover (older cursors, users not seen since start) is read from it.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace parley::messages {

class SyncTail {
 public:
  using Payload = std::shared_ptr<const std::string>;
  using Events = std::vector<std::pair<std::int64_t, Payload>>;

  explicit SyncTail(std::size_t per_user = 256) : per_user_(per_user) {}

  // REQUIRES: called after commit, in commit order, with seq one past the previous for user (a
  // gap, e.g. after a restart, starts the tail over). at_ms: when the event was stored.
  void append(const std::string& user, std::int64_t seq, Payload payload, std::int64_t at_ms);
  // The events after cursor (at most limit) if the tail covers cursor; nullopt if the database
  // must answer. An empty result means nothing newer has committed.
  std::optional<Events> after(const std::string& user, std::int64_t cursor, std::size_t limit) const;
  // Replicas: this process learned (from its own commit or another replica's wake-up) that the
  // user has an event with this seq. It keeps no payload, only the newest seq.
  void saw(const std::string& user, std::int64_t seq);
  // The newest seq this process knows the user has (appended or saw); nullopt if none. When a
  // poll's cursor equals it, nothing newer exists unless a wake-up for it is on its way.
  std::optional<std::int64_t> newest(const std::string& user) const;
  // Drops users without events for `idle`.
  void forget_idle(std::chrono::steady_clock::duration idle);
  // Drops events stored before cutoff_ms, as the database's pruning does, so that a cursor older
  // than what is kept is answered by the database (410), not from memory.
  void forget_before(std::int64_t cutoff_ms);
  std::size_t users() const;

 private:
  struct Tail {
    std::deque<std::pair<std::int64_t, Payload>> events;
    std::deque<std::int64_t> stored_at_ms;  // parallel to events
    std::int64_t newest = 0;  // 0: none known
    std::chrono::steady_clock::time_point touched;
  };
  std::size_t per_user_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Tail> tails_;
};

}  // namespace parley::messages
