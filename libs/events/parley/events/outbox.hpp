#pragma once
// The transactional outbox: a service writes its state change and its events in one
// transaction; the relay publishes committed events in order and deletes them once the bus has
// taken them. A crash between commit and relay loses nothing: the relay starts with what is left.
// A crash between publish and delete publishes again (consumers are idempotent, see inbox.hpp).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "parley/events/bus.hpp"
#include "parley/events/catalog.hpp"
#include "parley/storage/database.hpp"

namespace parley::events {

// DDL for the outbox and inbox tables, to include in a service's first migration.
std::string outbox_inbox_schema(storage::Dialect dialect);

struct OutboxOptions {
  // Woken after each commit of this process; the poll picks up what other replicas of the
  // service committed when this one holds the relay lease.
  std::chrono::milliseconds poll_interval{250};
  std::chrono::milliseconds retry_backoff{500};   // after the bus refused a publish
  int batch = 200;                                 // rows relayed per round
  // Rounds start at least this far apart: under load, one round takes the events of many
  // commits (a read, a publish and a delete for all of them) instead of one round per commit.
  // A lone commit is relayed at once.
  std::chrono::milliseconds min_interval{20};
  // The relay thread also forgets inbox entries older than kInboxKeep: first this long after
  // start, then every prune_every.
  std::chrono::milliseconds first_prune{std::chrono::seconds(10)};
  std::chrono::milliseconds prune_every{std::chrono::hours(1)};
};

class Outbox {
 public:
  using Options = OutboxOptions;
  Outbox(storage::Database& db, EventBus& bus, std::string producer, Options options = {});
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Records event (a type of the catalog, catalog.hpp) in tx; it is relayed after tx commits.
  // Returns its envelope. REQUIRES: E is published by this outbox's producer (std::logic_error
  // otherwise).
  template <EventType E>
  Event add(storage::Tx& tx, const E& event) {
    check_producer(E::kType, E::kProducer);
    return add_event(tx, make_event(event));
  }
  // The same for several events, in one statement per 64 of them.
  template <EventType E>
  void add_all(storage::Tx& tx, const std::vector<E>& events) {
    check_producer(E::kType, E::kProducer);
    std::vector<Event> made;
    made.reserve(events.size());
    for (const auto& e : events) made.push_back(make_event(e));
    add_events(tx, std::move(made));
  }

  void start();
  // Relays what is committed, then stops the relay thread.
  void stop();
  // Publishes every event committed so far before returning. Blocking; REQUIRES: not an I/O thread.
  void flush();
  // flush(), unless the last relay round failed (the bus or the database is away; the relay keeps
  // retrying by itself). Never throws: committed events are safe in the outbox either way.
  // Blocking; REQUIRES: not an I/O thread.
  void try_flush() noexcept;
  std::int64_t pending();
  // Committed events not yet relayed, as counted in memory (for metrics); exact after start().
  std::int64_t depth() const { return depth_.load(); }

 private:
  void check_producer(std::string_view type, std::string_view producer) const;
  Event add_event(storage::Tx& tx, Event event);
  void add_events(storage::Tx& tx, std::vector<Event> events);
  void kick();
  void run();
  // Returns the number of events published.
  std::size_t relay_once();
  // REQUIRES: relay_mutex_ held.
  std::size_t relay_locked();

  storage::Database& db_;
  EventBus& bus_;
  std::string producer_;
  Options options_;
  std::mutex relay_mutex_;  // one relay round at a time
  std::mutex mutex_;
  std::condition_variable cv_;
  bool kicked_ = false;
  std::atomic<std::int64_t> depth_{0};
  std::atomic<bool> failing_{false};  // the last relay round threw
  bool stopping_ = false;
  std::thread thread_;
};

// Claims event for this database's consumer: true the first time, false for a redelivery.
// Call inside the transaction that applies the event's effect.
bool inbox_claim(storage::Tx& tx, const Event& event);

// Whether this database's consumer has handled event already (its inbox remembers the id).
// Blocking; REQUIRES: not an I/O thread.
bool inbox_has(storage::Database& db, const Event& event);

// Applies effect once per event id, in one transaction with the inbox record.
void handle_once(storage::Database& db, const Event& event,
                 const std::function<void(storage::Tx&)>& effect);

// How long the inbox remembers an event: redeliveries come within minutes or hours (a consumer
// that crashed before its ack, an outbox relayed again after a failed delete), and without a
// bound the table grows by a row per event for ever.
inline constexpr std::chrono::hours kInboxKeep{24 * 7};
// Forgets at most limit inbox entries of events made before cutoff (event ids are UUIDv7, which
// begin with the time they were made: no scan, no extra index). Returns how many it removed.
std::int64_t prune_inbox(storage::Database& db, std::chrono::system_clock::time_point cutoff, std::int64_t limit = 10000);

}  // namespace parley::events
