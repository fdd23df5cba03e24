#pragma once
// The recent tail of each user's sync log, in memory, so that a woken long poll is answered
// without a database read. Filled after commit: by this process's own commits and, with replicas,
// by the events other replicas send with their wake-ups (which may arrive out of order, or not at
// all). The database stays the truth: the tail answers only a run of events that follows the
// cursor without a gap; anything else (older cursors, a gap, users not seen since start) is read
// from the database.

#include <chrono>
#include <cstdint>
#include <map>
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

  // REQUIRES: called after the event committed. at_ms: when it was stored. Keeps the newest
  // per_user events of each user; a seq seen before is ignored.
  void append(const std::string& user, std::int64_t seq, Payload payload, std::int64_t at_ms);
  // The events after cursor (at most limit) if the tail holds cursor+1 and what follows it without
  // a gap, or nothing if cursor is the newest event it knows; nullopt if the database must answer.
  std::optional<Events> after(const std::string& user, std::int64_t cursor, std::size_t limit) const;
  // Drops users without events for `idle`.
  void forget_idle(std::chrono::steady_clock::duration idle);
  // Drops events stored before cutoff_ms, as the database's pruning does, so that a cursor older
  // than what is kept is answered by the database (410), not from memory. Users left with no
  // events are forgotten.
  void forget_before(std::int64_t cutoff_ms);
  std::size_t users() const;

 private:
  struct Entry {
    Payload payload;
    std::int64_t stored_at_ms;
  };
  struct Tail {
    std::map<std::int64_t, Entry> events;  // by seq
    std::chrono::steady_clock::time_point touched;
  };
  std::size_t per_user_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Tail> tails_;
};

}  // namespace parley::messages
