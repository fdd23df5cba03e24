#pragma once
// Private to the messages service: the parts it is made of, wired together in service.cpp.

#include <chrono>
#include <memory>

#include "handlers/conversations.hpp"
#include "handlers/internal.hpp"
#include "handlers/messages.hpp"
#include "handlers/sync.hpp"
#include "parley/events/outbox.hpp"
#include "parley/service/service.hpp"
#include "sync/sync.hpp"

namespace parley::messages {

struct MessagesOptions {
  SyncOptions sync;                       // the sync log and its long polls (sync/sync.hpp)
  std::chrono::hours invite_ttl{24 * 7};  // invite codes expire after this
  static MessagesOptions from_env();
};

class MessagesService final : public service::Service {
 public:
  MessagesService(service::Context& ctx, MessagesOptions options);
  ~MessagesService() override;

  // service::Service
  std::string_view name() const override { return "messages"; }
  void add_routes(http::Router& router) override;
  void start() override;
  void stop() override;
  void begin_shutdown() override { sync_.shutdown(); }

 private:
  // consumers: the replica of users, contacts, blocks and dm_policy
  void on_event(const events::Event& event);
  // Returns once every write queued before the call has committed and run its after-commit work.
  void drain_writes();

  service::Context& ctx_;
  // The parts, each given what it uses. Destroyed in reverse order, the database last.
  std::unique_ptr<storage::Database> db_;
  events::Outbox outbox_;
  Sync sync_;
  ConversationHandlers conversations_;
  MessageHandlers messages_;
  SyncHandler sync_handler_;
  InternalHandlers internal_;
};

}  // namespace parley::messages
