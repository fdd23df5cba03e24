#pragma once
// Internal reads for the account export (service credential only, checked by the route): a
// user's conversations with their members, and every message of one of them with its edits.

#include "parley/http/message.hpp"
#include "parley/storage/database.hpp"

namespace parley::messages {

class InternalHandlers {
 public:
  explicit InternalHandlers(storage::Database& db) : db_(db) {}

  async::Task<http::Response> conversations(http::Request& request);
  async::Task<http::Response> messages(http::Request& request);

 private:
  storage::Database& db_;
};

}  // namespace parley::messages
