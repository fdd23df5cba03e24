#pragma once
// The recent tail of the sync log, in memory, so that a woken long poll is answered without a
// database read. Events are numbered by the log's global sequence (gseq) and come after commit:
// from this process's own commits and, with replicas, from the wake-ups of the others (in any
// order, possibly never). The tail answers only for cursors inside the run of gseqs it holds
// without a gap, (low, high]: then it knows every event of every user there, and so also that a
// user has none. Anything else (an older cursor, a user whose cursor is ahead) goes to the
// database, which stays the truth. Events above a gap wait for it to fill; a gap that stays is
// skipped (the tail starts over after it) and every waiting poll is sent to the database.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace parley::messages {

class SyncTail {
 public:
  using Payload = std::shared_ptr<const std::string>;
  using Audience = std::shared_ptr<const std::vector<std::string>>;  // the users an event is for
  struct Event {
    std::int64_t gseq = 0;
    Payload payload;
    Audience audience;
    std::int64_t at_ms = 0;  // when it was stored
  };
  using Events = std::vector<std::pair<std::int64_t, Payload>>;
  struct Answer {
    Events events;       // the user's events after the cursor, at most limit
    std::int64_t cursor;  // where the next poll starts: past every event of theirs the tail holds
  };

  // max_entries bounds the memory: one entry per event and user it is for.
  explicit SyncTail(std::size_t max_entries = 2'000'000) : max_entries_(max_entries) {}

  // REQUIRES: the events committed. Adds them; returns the users with events that the tail can
  // now answer (each once). Events at or below what it holds, and implausible gseqs, are ignored.
  std::vector<std::string> add(std::vector<Event> events);
  // The user's events after cursor if the tail holds everything after it; nullopt if the
  // database must answer.
  std::optional<Answer> after(const std::string& user, std::int64_t cursor, std::size_t limit) const;
  // Drops events stored before cutoff_ms (and the oldest beyond max_events): cursors before them
  // go to the database.
  void forget_before(std::int64_t cutoff_ms);
  // The run of gseqs the tail has been missing for longer than `stuck`, if any: a gap below
  // events that wait for it, or (with replicas, given the database's newest gseq) the events up
  // to a database head it stayed behind (the wake-up with the newest events was lost, and no
  // later event shows a gap). The caller reads them from the database and add()s them, or, if
  // it cannot, restart_after() the run's end and sends every waiting poll to the database.
  struct Range {
    std::int64_t from, to;
  };
  std::optional<Range> missing(std::optional<std::int64_t> database_head, std::chrono::steady_clock::duration stuck);
  // Gives up on everything up to gseq: the tail starts again after it (cursors before go to the
  // database).
  void restart_after(std::int64_t gseq);
  std::int64_t high() const;
  std::size_t users() const;

 private:
  // REQUIRES: mutex_ held.
  void drop_front();
  void cover(Event event, std::unordered_set<std::string>& woken);
  void restart_locked(std::int64_t gseq);

  std::size_t max_entries_;
  std::size_t entries_ = 0;
  mutable std::mutex mutex_;
  bool started_ = false;
  std::int64_t low_ = 0, high_ = 0;   // holds every event in (low_, high_]
  std::deque<Event> held_;             // those events, by gseq
  std::unordered_map<std::string, std::deque<std::pair<std::int64_t, Payload>>> by_user_;
  std::map<std::int64_t, Event> waiting_;  // above a gap
  std::chrono::steady_clock::time_point gap_since_;
  std::int64_t behind_ = 0;  // a database head the tail has not reached, and since when
  std::chrono::steady_clock::time_point behind_since_;
};

}  // namespace parley::messages
