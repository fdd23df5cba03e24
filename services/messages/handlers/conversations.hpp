#pragma once
// The conversation handlers: direct and group conversations, members and roles, invite codes.

#include <chrono>

#include "parley/events/outbox.hpp"
#include "parley/http/message.hpp"
#include "parley/storage/database.hpp"
#include "parley/token/jwt.hpp"

namespace parley::messages {

class Sync;

class ConversationHandlers {
 public:
  ConversationHandlers(token::Verifier& verifier, storage::Database& db, events::Outbox& outbox,
                       Sync& sync, std::chrono::hours invite_ttl);

  async::Task<http::Response> create_conversation(http::Request& request);
  async::Task<http::Response> list_conversations(http::Request& request);
  async::Task<http::Response> get_conversation(http::Request& request);
  async::Task<http::Response> rename(http::Request& request);
  async::Task<http::Response> add_member(http::Request& request);
  async::Task<http::Response> remove_member(http::Request& request);
  async::Task<http::Response> invite_code(http::Request& request);
  async::Task<http::Response> join(http::Request& request);

 private:
  token::Verifier& verifier_;
  storage::Database& db_;
  events::Outbox& outbox_;
  Sync& sync_;
  const std::chrono::hours invite_ttl_;  // invite codes expire after this
};

}  // namespace parley::messages
