#pragma once
// The users service's consumer (queue "users"): a public profile for each account auth
// registers, erased with the account.

#include "parley/events/dispatcher.hpp"

namespace parley::users {

// Its handlers: user.registered creates the profile (the display name defaults to the username),
// user.deleted removes it. Subscribe with events::durable_consumer("users").
events::Dispatcher accounts_consumer();

}  // namespace parley::users
