#pragma once
#include <memory>

#include "parley/service/service.hpp"

namespace parley::auth {

// The auth service: accounts, credentials, sessions, tokens. Reads its PARLEY_* settings from
// the environment (throws config::ConfigError naming a bad one) and adds its signing key's public
// half to ctx.verifier.
std::unique_ptr<service::Service> make_service(service::Context& ctx);

}  // namespace parley::auth
