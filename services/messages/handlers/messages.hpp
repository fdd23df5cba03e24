#pragma once
// The message handlers: history, send (idempotent by client_id, committed in group-commit
// batches), edit, delete, read markers.

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "parley/events/outbox.hpp"
#include "parley/http/message.hpp"
#include "parley/storage/database.hpp"
#include "parley/token/jwt.hpp"
#include "store/messages.hpp"

namespace parley::messages {

class Sync;

class MessageHandlers {
 public:
  MessageHandlers(token::Verifier& verifier, storage::Database& db, events::Outbox& outbox,
                  Sync& sync);

  async::Task<http::Response> list_messages(http::Request& request);
  async::Task<http::Response> send_message(http::Request& request);
  async::Task<http::Response> edit_message(http::Request& request);
  async::Task<http::Response> delete_message(http::Request& request);
  async::Task<http::Response> mark_read(http::Request& request);

 private:
  // A send as its request asked for it.
  struct SendRequest {
    std::string sender;
    std::string conversation_id;
    std::string body;
    std::optional<std::string> client_id;
  };
  // What came of a send.
  struct SendResult {
    MessageRow message;
    bool created = false;      // 201, else 200 (a retry answered with what it made)
    std::exception_ptr error;  // 404, 403: the send's own answer
  };
  // The sends of one group-commit batch, done together just before it commits.
  class SendBatch;
  // Every send of a batch at once, in a few statements over many rows: gathers the facts,
  // decides each send (domain/sending.hpp) and applies the decisions. One result per send.
  std::vector<SendResult> send_all(storage::Tx& tx, const std::vector<const SendRequest*>& sends);

  token::Verifier& verifier_;
  storage::Database& db_;
  events::Outbox& outbox_;
  Sync& sync_;
};

}  // namespace parley::messages
