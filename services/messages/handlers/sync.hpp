#pragma once
// GET /api/v1/sync: the long poll. A waiting request is a parked coroutine and a socket.

#include "parley/async/await.hpp"
#include "parley/http/message.hpp"
#include "parley/token/jwt.hpp"

namespace parley::messages {

class Sync;

class SyncHandler {
 public:
  SyncHandler(token::Verifier& verifier, Sync& sync) : verifier_(verifier), sync_(sync) {}

  async::Task<http::Response> sync(http::Request& request);

 private:
  token::Verifier& verifier_;
  Sync& sync_;
};

}  // namespace parley::messages
