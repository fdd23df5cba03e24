#pragma once
#include <memory>

#include "parley/service/service.hpp"

namespace parley::users {

// The users service: public profiles and dm_policy, created from user.registered and removed on
// user.deleted (never by a call from auth).
std::unique_ptr<service::Service> make_service(service::Context& ctx);

}  // namespace parley::users
