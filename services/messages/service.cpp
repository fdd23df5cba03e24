// The messages service wired: its database and outbox, the sync log's live side (sync/), its
// handlers and their routes, its consumer.

#include "service.hpp"

#include "consumers/replica_consumer.hpp"
#include "messages_service.hpp"
#include "parley/core/log.hpp"
#include "parley/events/topology.hpp"
#include "store/schema.hpp"

namespace parley::messages {

MessagesOptions MessagesOptions::from_env() {
  MessagesOptions o;
  o.sync = SyncOptions::from_env();
  return o;
}

MessagesService::MessagesService(service::Context& ctx, MessagesOptions options)
    : DatabaseService(ctx, "messages", messages_migrations()),
      sync_(ctx, *db_, options.sync),
      conversations_(ctx.verifier, *db_, outbox_, sync_, options.invite_ttl),
      messages_(ctx.verifier, *db_, outbox_, sync_),
      sync_handler_(ctx.verifier, sync_),
      internal_(*db_) {
  replica_consumer().subscribe(ctx.bus, events::durable_consumer("messages"), *db_);
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
  DatabaseService::start();
}

void MessagesService::stop() {
  sync_.stop();
  drain_writes();  // the outbox relays what they add, as it stops
  DatabaseService::stop();
}

void MessagesService::add_routes(http::Router& router) {
  const auto& credential = ctx_.service_credential;
  using C = ConversationHandlers;
  service::add_routes(
      router, credential, conversations_,
      {{"POST", "/api/v1/conversations", &C::create_conversation},
       {"GET", "/api/v1/conversations", &C::list_conversations},
       {"GET", "/api/v1/conversations/{id}", &C::get_conversation},
       {"PATCH", "/api/v1/conversations/{id}", &C::rename},
       {"POST", "/api/v1/conversations/{id}/members", &C::add_member},
       {"DELETE", "/api/v1/conversations/{id}/members/{user_id}", &C::remove_member},
       {"POST", "/api/v1/conversations/{id}/invite-code", &C::invite_code},
       {"POST", "/api/v1/conversations/join", &C::join}});
  using M = MessageHandlers;
  service::add_routes(
      router, credential, messages_,
      {{"GET", "/api/v1/conversations/{id}/messages", &M::list_messages},
       {"POST", "/api/v1/conversations/{id}/messages", &M::send_message},
       {"PATCH", "/api/v1/conversations/{id}/messages/{message_id}", &M::edit_message},
       {"DELETE", "/api/v1/conversations/{id}/messages/{message_id}", &M::delete_message},
       {"POST", "/api/v1/conversations/{id}/read", &M::mark_read}});
  // A long poll bounds its own wait (at most 60 s).
  router.add("GET", "/api/v1/sync", service::bind(&sync_handler_, &SyncHandler::sync),
             http::Router::kSelfBounded);
  using I = InternalHandlers;
  service::add_routes(
      router, credential, internal_,
      {{"GET", "/internal/v1/users/{user_id}/conversations", &I::conversations},
       {"GET", "/internal/v1/users/{user_id}/conversations/{conversation_id}/messages",
        &I::messages}});
}

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<MessagesService>(ctx, MessagesOptions::from_env());
}

}  // namespace parley::messages
