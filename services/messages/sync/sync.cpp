#include "sync/sync.hpp"

#include <map>

#include "parley/core/config.hpp"
#include "parley/core/error.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/log.hpp"
#include "parley/core/time.hpp"
#include "parley/events/dispatcher.hpp"
#include "sync/cursor.hpp"

namespace parley::messages {

namespace {
Error cursor_expired() {
  return Error::gone("cursor_expired", "cursor too old; reload and sync again without a cursor");
}
}  // namespace

SyncOptions SyncOptions::from_env() {
  SyncOptions o;
  o.retention = std::chrono::seconds(
      config::get_int("PARLEY_SYNC_RETENTION_S", 7 * 24 * 3600, 1, 365LL * 24 * 3600));
  o.prune_interval =
      std::chrono::seconds(config::get_int("PARLEY_SYNC_PRUNE_INTERVAL_S", 300, 1, 24 * 3600));
  o.max_polls_per_user =
      static_cast<std::size_t>(config::get_int("PARLEY_SYNC_MAX_POLLS_PER_USER", 8, 1, 10'000));
  return o;
}

Sync::Sync(service::Context& ctx, storage::Database& db, SyncOptions options)
    : ctx_(ctx),
      db_(db),
      options_(options),
      replica_id_(ids::uuid_v7()),
      poll_quota_(options.max_polls_per_user),
      polls_let_go_(ctx.metrics.counter(
          "parley_sync_polls_answered_early_total",
          "Long polls answered at once, with what they had, because their user parked more than "
          "PARLEY_SYNC_MAX_POLLS_PER_USER (the oldest goes).",
          R"(reason="per_user_cap")")) {
  db_.read_sync([&](storage::Tx& tx) { sync_epoch_ = store::sync_head(tx).epoch; });
  if (!ctx.single_process)
    // Other replicas commit sync events too: their wake-ups arrive here (each replica has its
    // own queue) with the events, which go into this replica's tail, and wake the polls it holds.
    ctx.bus.subscribe_transient(
        "messages-wake", {std::string(events::SyncWake::kType)},
        [this, read = events::TransientDispatcher()
                          .on<events::SyncWake>([this](const events::SyncWake& wake) { on_wake(wake); })
                          .handler()](const events::Event& e) {
          // Its own wake-ups come back too (every replica's queue is bound to sync.wake): they
          // are skipped before being read, as they carry up to 256 KiB of events.
          if (const auto* from = e.data.if_contains("replica"); from && from->is_string() && from->as_string() == replica_id_)
            return;
          read(e);
        });
  ctx.metrics.gauge("parley_sync_waiting_polls", "Long polls waiting for events.", "",
                    [this] { return static_cast<double>(notifier_.waiting()); });
}

Sync::~Sync() { stop(); }

void Sync::start() {
  // The in-memory tail starts at the database's newest event: it knows at once that nobody has
  // anything newer (until the first event after a start, every poll read the database). Events
  // committed meanwhile by other replicas are found by tail_upkeep() as usual.
  try {
    std::int64_t head = 0;
    started_at_ = std::chrono::steady_clock::now();
    db_.read_sync([&](storage::Tx& tx) { head = store::sync_head(tx).last; });
    tail_.restart_after(head);
  } catch (const std::exception& e) {
    log::warn("sync tail: cannot read the log's head; polls ask the database until the first event",
              {{"error", e.what()}});
  }
  pruner_ = std::thread([this] { prune_loop(); });
}

void Sync::stop() {
  {
    std::lock_guard lock(prune_mutex_);
    stopping_ = true;
  }
  prune_cv_.notify_all();
  if (pruner_.joinable()) pruner_.join();
}

std::optional<store::ClockHeld> Sync::deliver(storage::Tx& tx, std::vector<Outgoing> events) {
  if (events.empty()) return std::nullopt;
  std::int64_t now = time::to_unix_ms(time::now());
  std::vector<store::NewEvent> rows;
  rows.reserve(events.size());
  for (const auto& e : events)
    rows.push_back(
        e.conversation_id.empty()
            ? store::NewEvent{nullptr, &e.user_id, e.payload.get(), nullptr, e.body.get(), e.fill}
            : store::NewEvent{&e.conversation_id, nullptr, e.payload.get(), e.audience.get()});
  auto appended = store::append_events(tx, rows, now);
  std::int64_t first = appended.first;
  // Each conversation event goes, in memory, to the members the log gives it to: those the log
  // read once the clock was taken, or (where it did not need to) those the caller read.
  std::map<std::string, Audience> audiences;
  for (auto& e : events) {
    if (e.conversation_id.empty()) continue;
    auto read = appended.audiences.find(e.conversation_id);
    if (read == appended.audiences.end()) continue;
    auto& a = audiences[e.conversation_id];
    if (!a) a = std::make_shared<const std::vector<std::string>>(std::move(read->second));
    e.audience = a;
  }
  tx.after_commit([this, now, first, events = std::move(events)] {
    std::vector<SyncTail::Event> committed;
    committed.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i)
      committed.push_back(SyncTail::Event{first + static_cast<std::int64_t>(i), events[i].payload,
                                          events[i].audience, now});
    if (!ctx_.single_process) wake_replicas(committed);
    wake_local(tail_.add(std::move(committed)));
  });
  return std::move(appended.clock);
}

void Sync::deliver_to(storage::Tx& tx, const std::vector<std::string>& users,
                      const std::string& payload) {
  auto shared = std::make_shared<const std::string>(payload);
  std::vector<Outgoing> events;
  events.reserve(users.size());
  for (const auto& u : users)
    events.push_back(
        Outgoing{{}, u, shared, std::make_shared<const std::vector<std::string>>(1, u)});
  deliver(tx, std::move(events));
}

void Sync::deliver_to_members(storage::Tx& tx, const std::string& conversation_id,
                              const std::string& payload) {
  deliver(tx,
          {Outgoing{conversation_id, {}, std::make_shared<const std::string>(payload), nullptr}});
}

void Sync::deliver_filled(storage::Tx& tx, std::shared_ptr<const store::SharedBody> body,
                          const std::vector<std::pair<std::string, std::int64_t>>& fills) {
  std::map<std::int64_t, Payload> by_count;  // one text per distinct number
  auto payload = [&](std::int64_t n) {
    auto& p = by_count[n];
    if (!p) p = std::make_shared<const std::string>(body->head + std::to_string(n) + body->tail);
    return p;
  };
  std::vector<Outgoing> events;
  events.reserve(fills.size());
  for (const auto& [user, n] : fills)
    events.push_back(Outgoing{
        {}, user, payload(n), std::make_shared<const std::vector<std::string>>(1, user), body, n});
  deliver(tx, std::move(events));
}

std::string Sync::encode_cursor(std::int64_t gseq) const {
  return service::encode_cursor(sync_cursor_text(sync_epoch_, gseq));
}

std::int64_t Sync::parse_cursor(std::string_view text) const {
  return parse_sync_cursor(text, sync_epoch_);
}

async::Task<std::int64_t> Sync::head() {
  std::int64_t last = 0;
  co_await db_.read_statement([&](storage::Tx& tx) { last = store::sync_head(tx).last; });
  co_return last;
}

std::optional<SyncTail::Answer> Sync::from_tail(const std::string& user,
                                                std::int64_t cursor) const {
  return tail_.after(user, cursor, kPageEvents);
}

async::Task<Sync::Page> Sync::from_database(std::string user, std::int64_t cursor) {
  store::SyncRead r;
  co_await db_.read([&](storage::Tx& tx) { r = store::read_sync(tx, user, cursor, kPageEvents); });
  // Pruned past it (an event after it may be gone), or past the end of the log (a database
  // restored from an older backup): the client starts over.
  if (cursor < r.head.floor || cursor > r.head.last || r.head.epoch != sync_epoch_)
    throw cursor_expired();
  Page out;
  out.cursor =
      static_cast<int>(r.events.size()) == kPageEvents ? r.events.back().first : r.head.last;
  out.events = std::move(r.events);
  co_return out;
}

PollQuota::Id Sync::park(const std::string& user, PollQuota::Release let_go) {
  std::vector<PollQuota::Release> evicted;
  auto id = poll_quota_.park(user, std::move(let_go), evicted);
  for (auto& release : evicted) {
    ++polls_let_go_;
    release();
  }
  return id;
}

}  // namespace parley::messages
