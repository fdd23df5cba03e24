#pragma once
// Private to the messages service: the parts it is made of, wired together in service.cpp.

#include <chrono>

#include "handlers/conversations.hpp"
#include "handlers/internal.hpp"
#include "handlers/messages.hpp"
#include "handlers/sync.hpp"
#include "parley/service/database_service.hpp"
#include "sync/sync.hpp"

namespace parley::messages {

struct MessagesOptions {
  SyncOptions sync;                       // the sync log and its long polls (sync/sync.hpp)
  std::chrono::hours invite_ttl{24 * 7};  // invite codes expire after this
  static MessagesOptions from_env();
};

class MessagesService final : public service::DatabaseService {
 public:
  MessagesService(service::Context& ctx, MessagesOptions options);
  ~MessagesService() override;

  // service::Service
  void add_routes(http::Router& router) override;
  void start() override;
  void stop() override;
  void begin_shutdown() override { sync_.shutdown(); }

 private:
  // Returns once every write queued before the call has committed and run its after-commit work.
  void drain_writes();

  // Destroyed in reverse order, before the database and the outbox (DatabaseService's).
  Sync sync_;
  ConversationHandlers conversations_;
  MessageHandlers messages_;
  SyncHandler sync_handler_;
  InternalHandlers internal_;
};

}  // namespace parley::messages
