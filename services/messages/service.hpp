#pragma once
#include <memory>

#include "parley/service/service.hpp"

namespace parley::http {
class Server;
}

namespace parley::messages {

// The messages service: conversations, members, messages, read markers and long-poll sync, with
// a local replica of users, contacts, blocks and dm_policy to authorize direct messages.
std::unique_ptr<service::Service> make_service(service::Context& ctx);

}  // namespace parley::messages
