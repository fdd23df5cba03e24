#include "service.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>

#include "consumers/replica_consumer.hpp"
#include "messages_service.hpp"
#include "parley/core/config.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/log.hpp"
#include "parley/core/time.hpp"
#include "parley/events/dispatcher.hpp"
#include "parley/events/topology.hpp"

namespace parley::messages {

namespace bj = boost::json;

MessagesOptions MessagesOptions::from_env() {
  MessagesOptions o;
  o.sync_retention = std::chrono::seconds(config::get_int("PARLEY_SYNC_RETENTION_S", 7 * 24 * 3600, 1, 365LL * 24 * 3600));
  o.prune_interval = std::chrono::seconds(config::get_int("PARLEY_SYNC_PRUNE_INTERVAL_S", 300, 1, 24 * 3600));
  o.max_polls_per_user =
      static_cast<std::size_t>(config::get_int("PARLEY_SYNC_MAX_POLLS_PER_USER", 8, 1, 10'000));
  return o;
}

MessagesService::MessagesService(service::Context& ctx, MessagesOptions options)
    : ctx_(ctx),
      options_(options),
      db_(ctx.open_database("messages")),
      outbox_(*db_, ctx.bus, "messages"),
      replica_id_(ids::uuid_v7()),
      poll_quota_(options.max_polls_per_user),
      polls_let_go_(ctx.metrics.counter(
          "parley_sync_polls_answered_early_total",
          "Long polls answered at once, with what they had, because their user parked more than "
          "PARLEY_SYNC_MAX_POLLS_PER_USER (the oldest goes).",
          R"(reason="per_user_cap")")) {
  db_->migrate(messages_migrations());
  db_->read_sync([&](storage::Tx& tx) { sync_epoch_ = store::sync_head(tx).epoch; });
  service::watch(ctx.metrics, "messages", *db_, outbox_);
  replica_consumer().subscribe(ctx.bus, events::durable_consumer("messages"), *db_);
  if (!ctx.single_process)
    // Other replicas commit sync events too: their wake-ups arrive here (each replica has its
    // own queue) with the events, which go into this replica's tail, and wake the polls it holds.
    events::TransientDispatcher()
        .on<events::SyncWake>([this](const events::SyncWake& wake) { on_wake(wake); })
        .subscribe(ctx.bus, "messages-wake");
  ctx.metrics.gauge("parley_sync_waiting_polls", "Long polls waiting for events.", "",
                    [this] { return static_cast<double>(notifier_.waiting()); });
}

MessagesService::~MessagesService() {
  stop();
  // Writes queued after stop() (an event consumer's, before the bus stopped) commit now, while
  // what their after-commit work touches (tail, notifier, outbox) still exists: the members are
  // destroyed in reverse order, the database last.
  drain_writes();
}

void MessagesService::drain_writes() {
  try {
    db_->write_sync([](storage::Tx&) {});  // queued behind every write before it
  } catch (const std::exception& e) {
    log::warn("messages: writes not drained at stop", {{"error", e.what()}});
  }
}

void MessagesService::start() {
  // The in-memory tail starts at the database's newest event: it knows at once that nobody has
  // anything newer (until the first event after a start, every poll read the database). Events
  // committed meanwhile by other replicas are found by tail_upkeep() as usual.
  try {
    std::int64_t head = 0;
    started_at_ = std::chrono::steady_clock::now();
    db_->read_sync([&](storage::Tx& tx) { head = store::sync_head(tx).last; });
    tail_.restart_after(head);
  } catch (const std::exception& e) {
    log::warn("sync tail: cannot read the log's head; polls ask the database until the first event", {{"error", e.what()}});
  }
  outbox_.start();
  pruner_ = std::thread([this] { prune_loop(); });
}

void MessagesService::stop() {
  {
    std::lock_guard lock(prune_mutex_);
    stopping_ = true;
  }
  prune_cv_.notify_all();
  if (pruner_.joinable()) pruner_.join();
  drain_writes();  // the outbox relays what they add, as it stops
  outbox_.stop();
}

void MessagesService::tail_upkeep() {
  // The in-memory tail keeps about a minute of events: enough for devices that poll again right
  // after an answer (the common case it exists for), bounded however busy the server is. Older
  // cursors are answered from the database.
  constexpr auto kTailKeep = std::chrono::seconds(60), kStuck = std::chrono::seconds(1);
  tail_.forget_before(time::to_unix_ms(time::now()) - std::chrono::duration_cast<std::chrono::milliseconds>(kTailKeep).count());
  // Events that never reach the tail (a lost wake-up) would leave polls waiting for them: a gap
  // that stays for a second, or a tail that stays a second behind the database's newest event
  // (with replicas: the lost wake-up was the last one), is filled from the database. If that
  // cannot be done (too many, or pruned), the tail starts over after them and every waiting poll
  // asks the database.
  constexpr std::int64_t kMaxFill = 10'000;
  try {
    // One process alone hears of every event it commits, but for half a minute after its start
    // it also looks at the database's head: a previous process on the same data may still be
    // finishing its last writes (a restart that did not wait for the old process's exit), which
    // the tail, started at the head, would not hear of.
    std::optional<std::int64_t> head;
    if (!ctx_.single_process || std::chrono::steady_clock::now() - started_at_ < std::chrono::seconds(30))
      db_->read_sync([&](storage::Tx& tx) { head = store::sync_head(tx).last; });
    auto range = tail_.missing(head, kStuck);
    if (!range) return;
    std::optional<std::vector<store::LoggedEvent>> found;
    if (range->to - range->from < kMaxFill)
      db_->read_sync([&](storage::Tx& tx) { found = store::events_between(tx, range->from, range->to); });
    if (found) {
      std::vector<SyncTail::Event> events;
      for (auto& e : *found)
        events.push_back(SyncTail::Event{e.gseq, std::make_shared<const std::string>(std::move(e.payload)),
                                         std::make_shared<const std::vector<std::string>>(std::move(e.audience)), e.at_ms});
      log::info("sync tail: events missing for a second read from the database",
                {{"from", range->from}, {"to", range->to}});
      wake_local(tail_.add(std::move(events)));
      return;
    }
    log::warn("sync tail: events missing for a second; waiting polls ask the database",
              {{"from", range->from}, {"to", range->to}});
    tail_.restart_after(range->to);
    notifier_.notify_all();
  } catch (const std::exception& e) {
    log::warn("sync tail upkeep failed", {{"error", e.what()}});
  }
}

void MessagesService::prune_loop() {
  constexpr auto kTick = std::chrono::seconds(1);
  auto next_prune = std::chrono::steady_clock::now() + options_.prune_interval;
  for (;;) {
    {
      std::unique_lock lock(prune_mutex_);
      if (prune_cv_.wait_for(lock, kTick, [&] { return stopping_; })) return;
    }
    tail_upkeep();
    if (std::chrono::steady_clock::now() < next_prune) continue;
    next_prune = std::chrono::steady_clock::now() + options_.prune_interval;
    try {
      std::int64_t cutoff = time::to_unix_ms(time::now()) -
                            std::chrono::duration_cast<std::chrono::milliseconds>(options_.sync_retention).count();
      std::int64_t removed = 0, total = 0;
      do {
        db_->write_sync([&](storage::Tx& tx) { removed = store::prune_events(tx, cutoff, 5000); });
        total += removed;
        tail_upkeep();  // a long prune must not hold the tail's upkeep back
      } while (removed > 0 && !stopping());
      tail_.forget_before(cutoff);
      if (total > 0) log::info("sync events pruned", {{"count", total}});
    } catch (const std::exception& e) {
      log::warn("pruning sync events failed", {{"error", e.what()}});
    }
  }
}

bool MessagesService::stopping() {
  std::lock_guard lock(prune_mutex_);
  return stopping_;
}

void MessagesService::add_routes(http::Router& router) {
  auto bind = [this](auto method) { return service::bind(this, method); };
  router.add("POST", "/api/v1/conversations", bind(&MessagesService::create_conversation));
  router.add("GET", "/api/v1/conversations", bind(&MessagesService::list_conversations));
  router.add("GET", "/api/v1/conversations/{id}", bind(&MessagesService::get_conversation));
  router.add("PATCH", "/api/v1/conversations/{id}", bind(&MessagesService::rename));
  router.add("POST", "/api/v1/conversations/{id}/members", bind(&MessagesService::add_member));
  router.add("DELETE", "/api/v1/conversations/{id}/members/{user_id}", bind(&MessagesService::remove_member));
  router.add("POST", "/api/v1/conversations/{id}/invite-code", bind(&MessagesService::invite_code));
  router.add("POST", "/api/v1/conversations/join", bind(&MessagesService::join));
  router.add("GET", "/api/v1/conversations/{id}/messages", bind(&MessagesService::list_messages));
  router.add("POST", "/api/v1/conversations/{id}/messages", bind(&MessagesService::send_message));
  router.add("PATCH", "/api/v1/conversations/{id}/messages/{message_id}", bind(&MessagesService::edit_message));
  router.add("DELETE", "/api/v1/conversations/{id}/messages/{message_id}", bind(&MessagesService::delete_message));
  router.add("POST", "/api/v1/conversations/{id}/read", bind(&MessagesService::mark_read));
  // A long poll bounds its own wait (at most 60 s).
  router.add("GET", "/api/v1/sync", bind(&MessagesService::sync), http::Router::kSelfBounded);
  service::add_internal_route(router, ctx_.service_credential, "GET", "/internal/v1/users/{user_id}/conversations",
                              bind(&MessagesService::internal_conversations));
  service::add_internal_route(router, ctx_.service_credential, "GET",
                              "/internal/v1/users/{user_id}/conversations/{conversation_id}/messages",
                              bind(&MessagesService::internal_messages));
}

namespace {
// A conversation as API.md shows it, but for the viewer's unread count (last, so that the
// serialized text ends in it: deliver_conversation relies on that).
bj::object conversation_json(storage::Tx& tx, const ConversationRow& c, const std::vector<Member>& members,
                             std::int64_t unread_count) {
  bj::array list;
  list.reserve(members.size());
  for (const auto& m : members) list.push_back(bj::object{{"user_id", m.user_id}, {"role", role_name(m.role)}});
  bj::value last = nullptr;
  if (c.last_seq > 0)
    if (auto m = store::message_by_seq(tx, c.id, c.last_seq)) last = m->to_json();
  return bj::object{{"id", c.id},
                    {"kind", c.kind},
                    {"title", c.title ? bj::value(*c.title) : bj::value(nullptr)},
                    {"members", std::move(list)},
                    {"created_at", c.created_at},
                    {"last_message", std::move(last)},
                    {"unread_count", unread_count}};
}
}  // namespace

bj::object MessagesService::view(storage::Tx& tx, const ConversationRow& c, const std::string& viewer) {
  auto members = store::members(tx, c.id);
  std::int64_t read_seq = -1;
  for (const auto& m : members)
    if (m.user_id == viewer) read_seq = m.read_seq;
  return conversation_json(tx, c, members, read_seq < 0 ? 0 : store::unread(tx, c.id, viewer, read_seq));
}

std::pair<ConversationRow, Member> MessagesService::membership(storage::Tx& tx, const std::string& conversation_id,
                                                               const std::string& user_id) {
  auto c = store::conversation(tx, conversation_id);
  auto m = c ? store::member(tx, conversation_id, user_id) : std::nullopt;
  if (!m) throw Error::not_found("no such conversation");
  return {*c, *m};
}

void MessagesService::deliver(storage::Tx& tx, std::vector<Outgoing> events) {
  if (events.empty()) return;
  std::int64_t now = time::to_unix_ms(time::now());
  std::vector<store::NewEvent> rows;
  rows.reserve(events.size());
  for (const auto& e : events)
    rows.push_back(e.conversation_id.empty()
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
      committed.push_back(SyncTail::Event{first + static_cast<std::int64_t>(i), events[i].payload, events[i].audience, now});
    if (!ctx_.single_process) wake_replicas(committed);
    wake_local(tail_.add(std::move(committed)));
  });
}

void MessagesService::wake_local(const std::vector<std::string>& users) {
  const std::string* last = nullptr;
  for (const auto& u : users) {
    if (last && *last == u) continue;  // consecutive events of one user
    notifier_.notify(u);
    last = &u;
  }
}

void MessagesService::deliver_to(storage::Tx& tx, const std::vector<std::string>& users, const std::string& payload) {
  auto shared = std::make_shared<const std::string>(payload);
  std::vector<Outgoing> events;
  events.reserve(users.size());
  for (const auto& u : users)
    events.push_back(Outgoing{{}, u, shared, std::make_shared<const std::vector<std::string>>(1, u)});
  deliver(tx, std::move(events));
}

void MessagesService::deliver_to_members(storage::Tx& tx, const std::string& conversation_id, const std::string& payload) {
  deliver(tx, {Outgoing{conversation_id, {}, std::make_shared<const std::string>(payload), nullptr}});
}

void MessagesService::deliver_conversation(storage::Tx& tx, const ConversationRow& c, const std::string& type,
                                           const std::vector<std::string>& extra_users, bj::object fields) {
  // Each user's own view of the conversation: the same but for their unread count. The members
  // and the last message are read once and the event serialized once (a group of 1,000 used to
  // read its member list 1,000 times for one rename); only the count differs per user.
  auto current = store::conversation(tx, c.id).value_or(c);
  auto members = store::members(tx, c.id);
  bj::object event = std::move(fields);
  event["type"] = type;
  event["conversation_id"] = c.id;
  // unread_count last in the conversation, the conversation last in the event: the serialized
  // text ends in `"unread_count":0}}`, and each user's count replaces that 0.
  event["conversation"] = conversation_json(tx, current, members, 0);
  std::string text = bj::serialize(event);
  constexpr std::string_view kTail = "\"unread_count\":0}}";
  if (!text.ends_with(kTail)) throw std::logic_error("conversation event: unexpected layout");
  if (type == "conversation.created") {
    // Nothing is unread yet: every member's view is the same, stored once for all of them.
    deliver_to_members(tx, c.id, text);
    return;
  }
  // The log stores the text once (head and tail) and each member's count beside it.
  auto body = std::make_shared<const store::SharedBody>(store::SharedBody{text.substr(0, text.size() - 3), "}}"});
  auto counts = store::unread_counts(tx, c.id);
  std::map<std::int64_t, std::shared_ptr<const std::string>> by_count;  // one text per distinct count
  auto payload = [&](std::int64_t n) {
    auto& p = by_count[n];
    if (!p) p = std::make_shared<const std::string>(body->head + std::to_string(n) + body->tail);
    return p;
  };
  std::vector<Outgoing> events;
  events.reserve(members.size() + extra_users.size());
  auto add = [&](const std::string& user, std::int64_t n) {
    events.push_back(Outgoing{{}, user, payload(n), std::make_shared<const std::vector<std::string>>(1, user), body, n});
  };
  for (const auto& m : members) {
    auto n = counts.find(m.user_id);
    add(m.user_id, n == counts.end() ? 0 : n->second);
  }
  for (const auto& u : extra_users) add(u, 0);  // no longer a member: nothing unread
  deliver(tx, std::move(events));
}

void MessagesService::wake_replicas(std::vector<SyncTail::Event> events) {
  {
    std::lock_guard lock(wake_mutex_);
    wake_pending_.insert(wake_pending_.end(), std::make_move_iterator(events.begin()),
                         std::make_move_iterator(events.end()));
    if (wake_publishing_) return;  // the publisher at work takes these with its next message
    wake_publishing_ = true;
  }
  // Off the writer thread: a publish waits for the broker's confirm. A lost wake-up only delays
  // delivery (the other replicas' tails skip the gap after a second and their polls ask the
  // database); the sync log is in the database.
  ctx_.blocking.post([this] { publish_wakes(); });
}

void MessagesService::publish_wakes() {
  // A wake-up carries the events themselves (each payload and each audience once, however many
  // events share it), so that the other replicas answer their polls from memory.
  constexpr std::size_t kMaxBytes = 256 * 1024, kMaxEvents = 4096;  // per message
  for (;;) {
    std::vector<SyncTail::Event> events;
    {
      std::lock_guard lock(wake_mutex_);
      if (wake_pending_.empty()) {
        wake_publishing_ = false;
        return;
      }
      events.swap(wake_pending_);
    }
    std::vector<events::Event> messages;
    std::size_t i = 0;
    while (i < events.size()) {
      events::SyncWake wake{.replica = replica_id_, .epoch = sync_epoch_, .payloads = {}, .audiences = {}, .events = {}};
      std::map<const void*, std::size_t> payload_index, audience_index;
      std::size_t bytes = 0;
      for (; i < events.size() && wake.events.size() < kMaxEvents && bytes < kMaxBytes; ++i) {
        const SyncTail::Event& e = events[i];
        auto [p, new_payload] = payload_index.emplace(e.payload.get(), wake.payloads.size());
        if (new_payload) {
          wake.payloads.push_back(*e.payload);
          bytes += e.payload->size();
        }
        auto [a, new_audience] = audience_index.emplace(e.audience.get(), wake.audiences.size());
        if (new_audience) {
          wake.audiences.push_back(*e.audience);
          for (const auto& u : *e.audience) bytes += u.size() + 3;
        }
        wake.events.push_back({e.gseq, static_cast<std::int64_t>(p->second), static_cast<std::int64_t>(a->second), e.at_ms});
        bytes += 48;
      }
      messages.push_back(events::make_event(wake));
    }
    try {
      ctx_.bus.publish_all(messages);
    } catch (const std::exception& e) {
      log::warn("could not wake other replicas", {{"error", e.what()}});
    }
  }
}

void MessagesService::on_wake(const events::SyncWake& wake) {
  if (wake.replica == replica_id_) return;  // its own: the tail and the polls here had them at commit
  if (wake.epoch != sync_epoch_) return;    // another database's log (a broker shared by two installations)
  std::vector<SharedPayload> shared;
  for (const auto& p : wake.payloads) shared.push_back(std::make_shared<const std::string>(p));
  std::vector<Audience> groups;
  for (const auto& a : wake.audiences) groups.push_back(std::make_shared<const std::vector<std::string>>(a));
  std::vector<SyncTail::Event> events;
  for (const auto& [gseq, p, a, at_ms] : wake.events) {
    if (p < 0 || a < 0 || static_cast<std::size_t>(p) >= shared.size() || static_cast<std::size_t>(a) >= groups.size())
      continue;
    events.push_back(SyncTail::Event{gseq, shared[static_cast<std::size_t>(p)], groups[static_cast<std::size_t>(a)], at_ms});
  }
  // First the tail, then the wake-up: a poll that wakes finds the events there.
  wake_local(tail_.add(std::move(events)));
}

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<MessagesService>(ctx, MessagesOptions::from_env());
}

}  // namespace parley::messages
