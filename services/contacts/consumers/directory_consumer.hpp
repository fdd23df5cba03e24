#pragma once
// The contacts service's consumer (queue "contacts"): its replica of the user directory, which
// requests, contacts and blocks are shown with.

#include "parley/events/dispatcher.hpp"

namespace parley::contacts {

// Its handlers: user.registered and user.profile_updated write the person (the display name
// defaults to the username), user.deleted erases them with every request, contact and block they
// are part of. Subscribe with events::durable_consumer("contacts").
events::Dispatcher directory_consumer();

}  // namespace parley::contacts
