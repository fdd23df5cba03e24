#pragma once
#include <memory>

#include "parley/service/service.hpp"

namespace parley::contacts {

// The contacts service: contact requests, contacts and blocks, with a local replica of the user
// directory fed by user.registered, user.profile_updated and user.deleted.
std::unique_ptr<service::Service> make_service(service::Context& ctx);

}  // namespace parley::contacts
