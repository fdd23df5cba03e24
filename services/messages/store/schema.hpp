#pragma once
// The messages service's tables (SQLite and MySQL): people, contact_pairs and block_pairs (the
// replica, store/people.hpp); conversations, members and removals (store/conversations.hpp);
// messages and message_edits (store/messages.hpp); sync_clock, conversation_events, user_events,
// event_bodies and past_members (the sync log, store/sync_log.hpp); the outbox and inbox.

#include <vector>

#include "parley/storage/database.hpp"

namespace parley::messages {

std::vector<storage::Migration> messages_migrations();

}  // namespace parley::messages
