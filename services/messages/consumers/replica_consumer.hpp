#pragma once
// The messages service's consumer (queue "messages"): its replica of the users, contacts, blocks
// and dm_policy it needs to decide alone who may write to whom in a direct conversation.

#include "parley/events/dispatcher.hpp"

namespace parley::messages {

// Its handlers: user.registered and user.profile_updated write the person and their dm_policy,
// user.deleted erases the account (replica rows, memberships, sync log; their messages become
// tombstones), contact.* and block.* keep the pairs. Subscribe with
// events::durable_consumer("messages").
events::Dispatcher replica_consumer();

}  // namespace parley::messages
