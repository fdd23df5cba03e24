#include "parley/events/outbox.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "parley/core/log.hpp"
#include "parley/core/thread_name.hpp"
#include "parley/core/time.hpp"
#include "parley/storage/sql.hpp"

namespace parley::events {

std::string outbox_inbox_schema(storage::Dialect dialect) {
  if (dialect == storage::Dialect::mysql)
    return "CREATE TABLE outbox (seq BIGINT AUTO_INCREMENT PRIMARY KEY, id VARCHAR(36) NOT NULL, "
           "type VARCHAR(64) NOT NULL, payload LONGTEXT NOT NULL);\n"
           "CREATE TABLE inbox (event_id VARCHAR(36) PRIMARY KEY, handled_at BIGINT NOT NULL);\n";
  return "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, "
         "type TEXT NOT NULL, payload TEXT NOT NULL);\n"
         "CREATE TABLE inbox (event_id TEXT PRIMARY KEY, handled_at INTEGER NOT NULL);\n";
}

Outbox::Outbox(storage::Database& db, EventBus& bus, std::string producer, Options options)
    : db_(db), bus_(bus), producer_(std::move(producer)), options_(options) {}

Outbox::~Outbox() { stop(); }

void Outbox::check_producer(std::string_view type, std::string_view producer) const {
  if (producer != producer_)
    throw std::logic_error("the " + producer_ + " service's outbox cannot publish " +
                           std::string(type) + ", an event of " + std::string(producer));
}

Event Outbox::add_event(storage::Tx& tx, Event event) {
  tx.exec("INSERT INTO outbox (id, type, payload) VALUES (?, ?, ?)",
          {event.id, event.type, event.to_json()});
  tx.after_commit([this] {
    ++depth_;
    kick();
  });
  return event;
}

void Outbox::add_events(storage::Tx& tx, std::vector<Event> events) {
  if (events.empty()) return;
  constexpr std::size_t kPerStatement = 64;
  for (std::size_t from = 0; from < events.size(); from += kPerStatement) {
    std::size_t to = std::min(events.size(), from + kPerStatement);
    std::string sql = "INSERT INTO outbox (id, type, payload) VALUES ";
    std::vector<storage::Value> params;
    for (std::size_t i = from; i < to; ++i) {
      const Event& event = events[i];
      sql += i == from ? "(?, ?, ?)" : ", (?, ?, ?)";
      params.emplace_back(event.id);
      params.emplace_back(event.type);
      params.emplace_back(event.to_json());
    }
    tx.exec(sql, params);
  }
  tx.after_commit([this, n = static_cast<std::int64_t>(events.size())] {
    depth_ += n;
    kick();
  });
}

void Outbox::start() {
  depth_ = pending();
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  kicked_ = true;  // relay what a previous run left behind
  thread_ = std::thread([this] {
    name_this_thread("outbox " + producer_);
    run();
  });
}

void Outbox::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  try {
    flush();
  } catch (const std::exception& e) {
    log::warn("outbox not fully relayed at stop; it will be on next start",
              {{"producer", producer_}, {"error", e.what()}});
  }
}

void Outbox::kick() {
  {
    std::lock_guard lock(mutex_);
    kicked_ = true;
  }
  cv_.notify_one();
}

void Outbox::run() {
  auto last_round = std::chrono::steady_clock::now() - options_.min_interval;
  auto next_prune = std::chrono::steady_clock::now() + options_.first_prune;
  auto stop_requested = [this] {
    std::lock_guard lock(mutex_);
    return stopping_;
  };
  for (;;) {
    if (std::chrono::steady_clock::now() >= next_prune) {
      next_prune = std::chrono::steady_clock::now() + options_.prune_every;
      try {
        std::int64_t removed = 0, total = 0;
        // Replicas share the inbox: the one that relays prunes it too.
        if (db_.hold_lease("outbox")) {
          do {
            removed = prune_inbox(db_, std::chrono::system_clock::now() - kInboxKeep);
            total += removed;
          } while (removed > 0 && !stop_requested());
        }
        if (total > 0) log::info("inbox entries forgotten", {{"producer", producer_}, {"count", total}});
      } catch (const std::exception& e) {
        log::warn("inbox pruning failed; retried later", {{"producer", producer_}, {"error", e.what()}});
      }
    }
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, options_.poll_interval, [&] { return kicked_ || stopping_; });
      if (stopping_) return;
      // Too soon after the last round: let more commits gather first.
      cv_.wait_until(lock, last_round + options_.min_interval, [&] { return stopping_; });
      if (stopping_) return;
      kicked_ = false;
    }
    last_round = std::chrono::steady_clock::now();
    try {
      while (relay_once() == static_cast<std::size_t>(options_.batch)) {
      }
    } catch (const std::exception& e) {
      log::warn("outbox relay failed; will retry", {{"producer", producer_}, {"error", e.what()}});
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, options_.retry_backoff, [&] { return stopping_; });
      kicked_ = true;
    }
  }
}

std::size_t Outbox::relay_once() {
  std::lock_guard relay(relay_mutex_);
  try {
    std::size_t published = relay_locked();
    failing_ = false;
    return published;
  } catch (...) {
    failing_ = true;
    throw;
  }
}

std::size_t Outbox::relay_locked() {
  // Replicas of a service share its outbox: one of them relays it, the others leave it alone
  // (each event is published once, and their deletes do not contend).
  if (!db_.hold_lease("outbox")) return 0;
  storage::Rows rows;
  db_.read_sync([&](storage::Tx& tx) {
    rows = tx.query("SELECT seq, id, type, payload FROM outbox ORDER BY seq LIMIT ?", {std::int64_t{options_.batch}});
  });
  if (rows.empty()) return 0;
  std::vector<storage::Value> done;
  std::vector<EventBus::Serialized> events;
  for (const auto& row : rows) {
    done.emplace_back(row.integer(0));
    events.push_back(EventBus::Serialized{row.text(1), row.text(2), row.text(3)});
  }
  std::size_t published = events.size();
  std::exception_ptr failure;
  try {
    bus_.publish_serialized(events);
  } catch (...) {
    // Which ones the bus took is unknown: one at a time, up to the first it refuses (the broker
    // is away, or refuses that event), so that the ones before it are not published forever.
    // Those it took before are published twice; consumers drop duplicates by event id.
    failure = std::current_exception();
    std::size_t tries = events.size() > 1 ? events.size() : 0;  // a batch of one just failed
    for (published = 0; published < tries; ++published) {
      try {
        bus_.publish_serialized({events[published]});
      } catch (...) {
        break;
      }
    }
    done.resize(published);
  }
  if (log::enabled(log::Level::info))
    for (std::size_t i = 0; i < published; ++i)
      log::info("event published", {{"event_id", events[i].id}, {"type", events[i].type}, {"producer", producer_}});
  if (published > 0) {
    // Exactly the rows published: with several writers (replicas on one MySQL database) a row
    // with a lower seq may commit after this read, and must stay for the next relay.
    std::string sql = "DELETE FROM outbox WHERE seq IN (?";
    for (std::size_t i = 1; i < done.size(); ++i) sql += ",?";
    sql += ")";
    db_.write_sync([&](storage::Tx& tx) { tx.exec(sql, done); });
    depth_ -= static_cast<std::int64_t>(published);
  }
  if (failure && published < events.size()) std::rethrow_exception(failure);
  return published;
}

void Outbox::flush() {
  while (relay_once() > 0) {
  }
}

void Outbox::try_flush() noexcept {
  if (failing_) return;
  try {
    flush();
  } catch (const std::exception& e) {
    log::warn("events not relayed yet; the relay retries", {{"producer", producer_}, {"error", e.what()}});
  } catch (...) {
    log::warn("events not relayed yet; the relay retries", {{"producer", producer_}});
  }
}

std::int64_t Outbox::pending() {
  std::int64_t n = 0;
  db_.read_sync([&](storage::Tx& tx) { n = tx.query("SELECT COUNT(*) FROM outbox")[0].integer(0); });
  return n;
}

bool inbox_claim(storage::Tx& tx, const Event& event) {
  return tx.exec(storage::sql::insert_ignore(tx.dialect(), "inbox", {"event_id", "handled_at"}),
                 {event.id, time::to_unix_ms(time::now())}) == 1;
}

bool inbox_has(storage::Database& db, const Event& event) {
  bool found = false;
  db.read_sync([&](storage::Tx& tx) {
    found = !tx.query("SELECT 1 FROM inbox WHERE event_id = ?", {event.id}).empty();
  });
  return found;
}

std::int64_t prune_inbox(storage::Database& db, std::chrono::system_clock::time_point cutoff, std::int64_t limit) {
  // A UUIDv7's text starts with its 48-bit Unix time in ms as 12 hex digits (e.g. "018cc251-f400-"):
  // every id made before cutoff sorts below that prefix, every later one above it.
  auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count());
  char bound[16];
  std::snprintf(bound, sizeof bound, "%08llx-%04llx", static_cast<unsigned long long>((ms >> 16) & 0xffffffffULL),
                static_cast<unsigned long long>(ms & 0xffffULL));
  std::int64_t removed = 0;
  db.write_sync([&](storage::Tx& tx) {
    removed = tx.dialect() == storage::Dialect::mysql
                  ? tx.exec("DELETE FROM inbox WHERE event_id < ? ORDER BY event_id LIMIT ?", {std::string(bound), limit})
                  : tx.exec("DELETE FROM inbox WHERE event_id IN (SELECT event_id FROM inbox WHERE event_id < ? LIMIT ?)",
                            {std::string(bound), limit});
  });
  return removed;
}

void handle_once(storage::Database& db, const Event& event,
                 const std::function<void(storage::Tx&)>& effect) {
  db.write_sync([&](storage::Tx& tx) {
    if (!inbox_claim(tx, event)) return;
    effect(tx);
  });
}

}  // namespace parley::events
