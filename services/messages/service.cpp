#include "service.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "messages_service.hpp"
#include "parley/core/config.hpp"
#include "parley/core/log.hpp"
#include "parley/core/time.hpp"

namespace parley::messages {

namespace bj = boost::json;

MessagesOptions MessagesOptions::from_env() {
  MessagesOptions o;
  o.sync_retention = std::chrono::seconds(config::get_int("PARLEY_SYNC_RETENTION_S", 7 * 24 * 3600, 1, 365LL * 24 * 3600));
  o.prune_interval = std::chrono::seconds(config::get_int("PARLEY_SYNC_PRUNE_INTERVAL_S", 300, 1, 24 * 3600));
  return o;
}

MessagesService::MessagesService(service::Context& ctx, MessagesOptions options)
    : ctx_(ctx), options_(options), db_(ctx.open_database("messages")), outbox_(*db_, ctx.bus, "messages") {
  db_->migrate(messages_migrations());
  service::watch(ctx.metrics, "messages", *db_, outbox_);
  ctx.bus.subscribe("messages",
                    {"user.registered", "user.profile_updated", "user.deleted", "contact.accepted",
                     "contact.removed", "block.added", "block.removed"},
                    [this](const events::Event& e) { on_event(e); });
  if (!ctx.single_process)
    // Other replicas commit sync events too: their wake-ups arrive here (each replica has its
    // own queue) and wake the polls this replica holds.
    ctx.bus.subscribe_transient("messages-wake", {"sync.wake"}, [this](const events::Event& e) {
      auto users = e.data.if_contains("user_ids");
      auto seqs = e.data.if_contains("seqs");
      if (!users || !users->is_array()) return;
      const auto& ids = users->as_array();
      bool with_seqs = seqs && seqs->is_array() && seqs->as_array().size() == ids.size();
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!ids[i].is_string()) continue;
        std::string user(ids[i].as_string());
        // First what is new, then the wake-up: a poll that wakes finds the cursor behind it.
        if (with_seqs && seqs->as_array()[i].is_int64()) tail_.saw(user, seqs->as_array()[i].as_int64());
        notifier_.notify(user);
      }
    });
  ctx.metrics.gauge("parley_sync_waiting_polls", "Long polls waiting for events.", "",
                    [this] { return static_cast<double>(notifier_.waiting()); });
}

MessagesService::~MessagesService() { stop(); }

void MessagesService::start() {
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
  outbox_.stop();
}

void MessagesService::prune_loop() {
  for (;;) {
    {
      std::unique_lock lock(prune_mutex_);
      if (prune_cv_.wait_for(lock, options_.prune_interval, [&] { return stopping_; })) return;
    }
    try {
      std::int64_t cutoff = time::to_unix_ms(time::now()) -
                            std::chrono::duration_cast<std::chrono::milliseconds>(options_.sync_retention).count();
      std::int64_t removed = 0, total = 0;
      do {
        db_->write_sync([&](storage::Tx& tx) { removed = store::prune_events(tx, cutoff, 5000); });
        total += removed;
      } while (removed == 5000);
      tail_.forget_before(cutoff);
      if (total > 0) log::info("sync events pruned", {{"count", total}});
      tail_.forget_idle(std::chrono::minutes(10));
    } catch (const std::exception& e) {
      log::warn("pruning sync events failed", {{"error", e.what()}});
    }
  }
}

void MessagesService::on_event(const events::Event& e) {
  auto field = [&](const char* key) -> std::string {
    auto v = e.data.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  events::handle_once(*db_, e, [&](storage::Tx& tx) {
    if (e.type == "user.registered") {
      store::upsert_person(tx, field("user_id"), field("username"), "everyone");
    } else if (e.type == "user.profile_updated") {
      std::string policy = field("dm_policy");
      store::upsert_person(tx, field("user_id"), field("username"), policy.empty() ? "everyone" : policy);
    } else if (e.type == "user.deleted") {
      store::erase_user(tx, field("user_id"));
    } else if (e.type == "contact.accepted") {
      store::set_contacts(tx, field("from_user_id"), field("to_user_id"), true);
    } else if (e.type == "contact.removed") {
      store::set_contacts(tx, field("user_id"), field("contact_id"), false);
    } else if (e.type == "block.added" || e.type == "block.removed") {
      store::set_block(tx, field("blocker_id"), field("blocked_id"), e.type == "block.added");
    }
  });
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

bj::object MessagesService::view(storage::Tx& tx, const ConversationRow& c, const std::string& viewer) {
  bj::array members;
  std::int64_t read_seq = -1;
  for (const auto& m : store::members(tx, c.id)) {
    members.push_back(bj::object{{"user_id", m.user_id}, {"role", role_name(m.role)}});
    if (m.user_id == viewer) read_seq = m.read_seq;
  }
  bj::value last = nullptr;
  if (c.last_seq > 0)
    if (auto m = store::message_by_seq(tx, c.id, c.last_seq)) last = m->to_json();
  return bj::object{{"id", c.id},
                    {"kind", c.kind},
                    {"title", c.title ? bj::value(*c.title) : bj::value(nullptr)},
                    {"members", members},
                    {"created_at", c.created_at},
                    {"last_message", last},
                    {"unread_count", read_seq < 0 ? 0 : store::unread(tx, c.id, viewer, read_seq)}};
}

std::pair<ConversationRow, Member> MessagesService::membership(storage::Tx& tx, const std::string& conversation_id,
                                                               const std::string& user_id) {
  auto c = store::conversation(tx, conversation_id);
  auto m = c ? store::member(tx, conversation_id, user_id) : std::nullopt;
  if (!m) throw Error::not_found("no such conversation");
  return {*c, *m};
}

void MessagesService::deliver(storage::Tx& tx, const std::vector<std::string>& users, const std::string& payload) {
  auto shared = std::make_shared<const std::string>(payload);
  std::vector<std::pair<std::string, SharedPayload>> entries;
  entries.reserve(users.size());
  for (const auto& u : users) entries.emplace_back(u, shared);
  deliver_all(tx, entries);
}

void MessagesService::deliver_all(storage::Tx& tx, const std::vector<std::pair<std::string, SharedPayload>>& entries) {
  if (entries.empty()) return;
  std::int64_t now = time::to_unix_ms(time::now());
  std::vector<std::pair<std::string, const std::string*>> rows;
  rows.reserve(entries.size());
  for (const auto& [user, payload] : entries) rows.emplace_back(user, payload.get());
  auto seqs = store::append_events(tx, rows, now);
  tx.after_commit([this, now, entries, seqs = std::move(seqs)] {
    std::vector<std::pair<std::string, std::int64_t>> appended;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& user = entries[i].first;
      // With replicas the tail would miss what the others commit: keep only the newest seq.
      if (ctx_.single_process) tail_.append(user, seqs[i], entries[i].second, now);
      else {
        tail_.saw(user, seqs[i]);
        appended.emplace_back(user, seqs[i]);
      }
      notifier_.notify(user);
    }
    if (!appended.empty()) wake_replicas(std::move(appended));
  });
}

void MessagesService::deliver_conversation(storage::Tx& tx, const ConversationRow& c, const std::string& type,
                                           const std::vector<std::string>& extra_users, bj::object fields) {
  auto current = store::conversation(tx, c.id).value_or(c);
  std::vector<std::string> users;
  for (const auto& m : store::members(tx, c.id)) users.push_back(m.user_id);
  users.insert(users.end(), extra_users.begin(), extra_users.end());
  for (const auto& u : users) {
    bj::object event = fields;
    event["type"] = type;
    event["conversation_id"] = c.id;
    event["conversation"] = view(tx, current, u);
    deliver(tx, {u}, bj::serialize(event));
  }
}

void MessagesService::wake_replicas(std::vector<std::pair<std::string, std::int64_t>> users) {
  {
    std::lock_guard lock(wake_mutex_);
    wake_pending_.insert(wake_pending_.end(), std::make_move_iterator(users.begin()),
                         std::make_move_iterator(users.end()));
    if (wake_publishing_) return;  // the publisher at work takes these with its next message
    wake_publishing_ = true;
  }
  // Off the writer thread: a publish waits for the broker's confirm. A lost wake-up only delays
  // delivery to the poll's timeout; the sync log itself is in the database.
  ctx_.blocking.post([this] { publish_wakes(); });
}

void MessagesService::publish_wakes() {
  constexpr std::size_t kMaxUsers = 1000;  // per message
  for (;;) {
    std::vector<std::pair<std::string, std::int64_t>> users;
    {
      std::lock_guard lock(wake_mutex_);
      if (wake_pending_.empty()) {
        wake_publishing_ = false;
        return;
      }
      users.swap(wake_pending_);
    }
    // One entry per user, with the newest seq.
    std::sort(users.begin(), users.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    });
    users.erase(std::unique(users.begin(), users.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
                users.end());
    for (std::size_t i = 0; i < users.size(); i += kMaxUsers) {
      boost::json::array ids, seqs;
      for (std::size_t j = i; j < std::min(users.size(), i + kMaxUsers); ++j) {
        ids.emplace_back(users[j].first);
        seqs.emplace_back(users[j].second);
      }
      try {
        ctx_.bus.publish(events::Event::make("sync.wake", "messages", {{"user_ids", std::move(ids)}, {"seqs", std::move(seqs)}}));
      } catch (const std::exception& e) {
        log::warn("could not wake other replicas", {{"error", e.what()}});
      }
    }
  }
}

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<MessagesService>(ctx, MessagesOptions::from_env());
}

}  // namespace parley::messages
