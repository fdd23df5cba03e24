// The messages service, wired from its parts: the store (store/), the sync log's live side
// (sync/), the handlers (handlers/) and the consumer of other services' events.

#include "service.hpp"

#include "messages_service.hpp"
#include "parley/core/log.hpp"
#include "parley/events/topology.hpp"
#include "store/people.hpp"
#include "store/schema.hpp"

namespace parley::messages {

namespace {
std::unique_ptr<storage::Database> open_migrated(service::Context& ctx) {
  auto db = ctx.open_database("messages");
  db->migrate(messages_migrations());
  return db;
}
}  // namespace

MessagesOptions MessagesOptions::from_env() {
  MessagesOptions o;
  o.sync = SyncOptions::from_env();
  return o;
}

MessagesService::MessagesService(service::Context& ctx, MessagesOptions options)
    : ctx_(ctx),
      db_(open_migrated(ctx)),
      outbox_(*db_, ctx.bus, "messages"),
      sync_(ctx, *db_, options.sync),
      conversations_(ctx.verifier, *db_, outbox_, sync_, options.invite_ttl),
      messages_(ctx.verifier, *db_, outbox_, sync_),
      sync_handler_(ctx.verifier, sync_),
      internal_(*db_) {
  service::watch(ctx.metrics, "messages", *db_, outbox_);
  const auto& consumer = events::durable_consumer("messages");
  ctx.bus.subscribe(consumer.name, consumer.patterns,
                    [this](const events::Event& e) { on_event(e); });
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
  sync_.start();
  outbox_.start();
}

void MessagesService::stop() {
  sync_.stop();
  drain_writes();  // the outbox relays what they add, as it stops
  outbox_.stop();
}

void MessagesService::on_event(const events::Event& e) {
  auto field = [&](const char* key) -> std::string {
    auto v = e.data.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  events::handle_once(*db_, e, [&](storage::Tx& tx) {
    if (e.type == "user.registered") {
      store::add_person(tx, field("user_id"), field("username"));
    } else if (e.type == "user.profile_updated") {
      std::string policy = field("dm_policy");
      if (policy.empty()) store::add_person(tx, field("user_id"), field("username"));  // keeps the policy it has
      else store::upsert_person(tx, field("user_id"), field("username"), policy);
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
  using service::bind;
  auto& c = conversations_;
  auto& m = messages_;
  router.add("POST", "/api/v1/conversations", bind(&c, &ConversationHandlers::create_conversation));
  router.add("GET", "/api/v1/conversations", bind(&c, &ConversationHandlers::list_conversations));
  router.add("GET", "/api/v1/conversations/{id}", bind(&c, &ConversationHandlers::get_conversation));
  router.add("PATCH", "/api/v1/conversations/{id}", bind(&c, &ConversationHandlers::rename));
  router.add("POST", "/api/v1/conversations/{id}/members", bind(&c, &ConversationHandlers::add_member));
  router.add("DELETE", "/api/v1/conversations/{id}/members/{user_id}", bind(&c, &ConversationHandlers::remove_member));
  router.add("POST", "/api/v1/conversations/{id}/invite-code", bind(&c, &ConversationHandlers::invite_code));
  router.add("POST", "/api/v1/conversations/join", bind(&c, &ConversationHandlers::join));
  router.add("GET", "/api/v1/conversations/{id}/messages", bind(&m, &MessageHandlers::list_messages));
  router.add("POST", "/api/v1/conversations/{id}/messages", bind(&m, &MessageHandlers::send_message));
  router.add("PATCH", "/api/v1/conversations/{id}/messages/{message_id}", bind(&m, &MessageHandlers::edit_message));
  router.add("DELETE", "/api/v1/conversations/{id}/messages/{message_id}", bind(&m, &MessageHandlers::delete_message));
  router.add("POST", "/api/v1/conversations/{id}/read", bind(&m, &MessageHandlers::mark_read));
  // A long poll bounds its own wait (at most 60 s).
  router.add("GET", "/api/v1/sync", bind(&sync_handler_, &SyncHandler::sync), http::Router::kSelfBounded);
  service::add_internal_route(router, ctx_.service_credential, "GET", "/internal/v1/users/{user_id}/conversations",
                              bind(&internal_, &InternalHandlers::conversations));
  service::add_internal_route(router, ctx_.service_credential, "GET",
                              "/internal/v1/users/{user_id}/conversations/{conversation_id}/messages",
                              bind(&internal_, &InternalHandlers::messages));
}

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<MessagesService>(ctx, MessagesOptions::from_env());
}

}  // namespace parley::messages
