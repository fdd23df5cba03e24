#pragma once
// Sync, the live side of the sync log, as one part that the handlers receive. A write appends
// events to the log through it (deliver*); once the write commits they reach the in-memory tail
// and wake the long polls waiting for them, on this replica at once and on the others through
// the sync.wake messages it publishes and receives. A long poll asks it for its user's events
// (from the tail, else the database), waits on it, and is counted against the user's cap of
// parked polls; cursors name its log. A thread of its own keeps the tail whole (events a lost
// wake-up never brought are read from the database) and prunes the log.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "domain/poll_quota.hpp"
#include "parley/async/notifier.hpp"
#include "parley/events/catalog.hpp"
#include "parley/service/service.hpp"
#include "store/sync_log.hpp"
#include "sync/sync_tail.hpp"

namespace parley::messages {

struct SyncOptions {
  std::chrono::seconds retention{7 * 24 *
                                 3600};  // PARLEY_SYNC_RETENTION_S: how long sync events are kept
  std::chrono::seconds prune_interval{300};  // PARLEY_SYNC_PRUNE_INTERVAL_S: between two prunes
  std::size_t max_polls_per_user = 8;  // PARLEY_SYNC_MAX_POLLS_PER_USER: parked long polls per user
  // Throws config::ConfigError naming a setting that is not valid.
  static SyncOptions from_env();
};

class Sync {
 public:
  using Payload = SyncTail::Payload;
  using Audience = SyncTail::Audience;
  // The most events one answer to a poll carries.
  static constexpr int kPageEvents = 100;

  // REQUIRES: db migrated. Reads the log's epoch; with replicas, subscribes to their wake-ups.
  Sync(service::Context& ctx, storage::Database& db, SyncOptions options);
  ~Sync();  // stop()
  Sync(const Sync&) = delete;
  Sync& operator=(const Sync&) = delete;

  // Starts the tail at the log's newest event, and the upkeep thread.
  void start();
  // Stops the upkeep thread. May be called more than once.
  void stop();
  // The server begins to stop: every waiting poll answers now.
  void shutdown() { notifier_.shutdown(); }

  // -- Delivery. REQUIRES: in a write (Database::write). Each appends to the log in tx, taking the
  // sync clock (store/lock_order.hpp), and once tx commits hands the events to the tail and wakes
  // their users' polls, here and (with replicas) on the other replicas.

  // An event for the log: a conversation's (read by each member through their membership) or
  // one user's own. audience: who gets it, as the tail and the wake-ups need to know; for a
  // conversation's event, the members the caller read in this transaction (or null), which
  // deliver() replaces with what the log reads once it holds the clock wherever that may differ.
  struct Outgoing {
    std::string conversation_id;  // a conversation's event, or
    std::string user_id;          // one user's
    Payload payload;
    Audience audience;
    // A user's event whose payload is body's text around fill: stored once for all who share it.
    std::shared_ptr<const store::SharedBody> body = nullptr;
    std::int64_t fill = 0;
  };
  // Events with consecutive gseqs, in order. Returns the clock it took (none for no events).
  std::optional<store::ClockHeld> deliver(storage::Tx& tx, std::vector<Outgoing> events);
  // One payload for each of users, as their own event.
  void deliver_to(storage::Tx& tx, const std::vector<std::string>& users,
                  const std::string& payload);
  // One payload as a conversation's event, for its current members.
  void deliver_to_members(storage::Tx& tx, const std::string& conversation_id,
                          const std::string& payload);
  // For each (user, n), the user's own event whose payload is body->head + n + body->tail: the
  // body is stored once for all of them.
  void deliver_filled(storage::Tx& tx, std::shared_ptr<const store::SharedBody> body,
                      const std::vector<std::pair<std::string, std::int64_t>>& fills);

  // -- Long polls.

  // A cursor names the database's sync log (its epoch) and a gseq in it.
  std::string encode_cursor(std::int64_t gseq) const;
  // The gseq of a decoded cursor (service::decode_cursor). Throws invalid_argument naming
  // "cursor" if it is malformed, gone (410 cursor_expired) if it is of another log or of the old
  // per-user log.
  std::int64_t parse_cursor(std::string_view text) const;
  // The newest gseq committed: where a poll without a cursor starts.
  async::Task<std::int64_t> head();
  // The user's events after cursor (at most a page) if the tail holds everything after it.
  std::optional<SyncTail::Answer> from_tail(const std::string& user, std::int64_t cursor) const;
  // The user's events after cursor from the database (at most a page) and the cursor after
  // them; 410 cursor_expired if the cursor is older than what is kept or past the end of the log.
  struct Page {
    std::vector<std::pair<std::int64_t, std::string>> events;
    std::int64_t cursor = 0;
  };
  async::Task<Page> from_database(std::string user, std::int64_t cursor);
  // Whether other replicas commit events too: the tail hears of theirs a moment after the commit.
  bool with_replicas() const { return !ctx_.single_process; }
  // A poll waits on its user's key; wakes come with the user's events (and at shutdown).
  async::Notifier& notifier() { return notifier_; }
  // Counts a newly parked poll of user against the cap. Past it, the user's oldest parked poll
  // is let go (its let_go is called, once no lock is held) and counted in
  // parley_sync_polls_answered_early_total. Returns the poll's id for leave().
  PollQuota::Id park(const std::string& user, PollQuota::Release let_go);
  // The poll is answered (or was let go: then nothing happens).
  void leave(const std::string& user, PollQuota::Id id) { poll_quota_.leave(user, id); }

 private:
  using SharedPayload = Payload;
  // sync/wakes.cpp
  // Tells the other replicas about new sync events, with the events (distributed mode). Events
  // that come while a wake-up is being published go out together in the next message.
  void wake_replicas(std::vector<SyncTail::Event> events);
  void publish_wakes();
  // Another replica's wake-up: its events into the tail, then the polls waiting for them.
  void on_wake(const events::SyncWake& wake);
  // Wakes the polls of users whose events the tail can now answer.
  void wake_local(const std::vector<std::string>& users);
  // sync/upkeep.cpp
  void prune_loop();
  void tail_upkeep();
  bool stopping();

  service::Context& ctx_;
  storage::Database& db_;
  SyncOptions options_;
  async::Notifier notifier_;
  SyncTail tail_;
  std::mutex wake_mutex_;
  std::vector<SyncTail::Event> wake_pending_;  // not published yet
  const std::string replica_id_;               // names this process's wake-ups, which it skips
  std::string sync_epoch_;                     // the sync log's, from the database
  bool wake_publishing_ = false;
  std::mutex prune_mutex_;
  std::condition_variable prune_cv_;
  bool stopping_ = false;
  std::thread pruner_;
  std::chrono::steady_clock::time_point started_at_;  // start(): see tail_upkeep()
  PollQuota poll_quota_;                              // parked long polls per user
  std::atomic<std::uint64_t>& polls_let_go_;          // answered early: their user parked too many
};

}  // namespace parley::messages
