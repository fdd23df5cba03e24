#pragma once
// What the handlers share: a conversation as a member sees it (API.md's shape), the membership
// check every per-conversation request starts with, and the conversation events that carry each
// member's own view.

#include <boost/json/object.hpp>
#include <string>
#include <utility>
#include <vector>

#include "parley/storage/database.hpp"
#include "store/conversations.hpp"

namespace parley::messages {

class Sync;

// The conversation as viewer sees it: members, last_message, unread_count.
boost::json::object view(storage::Tx& tx, const ConversationRow& c, const std::string& viewer);
// Loads a conversation the caller is a member of; 404 otherwise (existence does not leak).
std::pair<ConversationRow, Member> membership(storage::Tx& tx, const std::string& conversation_id,
                                              const std::string& user_id);
// Sends each member (and extra users) a conversation event of type carrying their own view of
// it, with fields. REQUIRES: in a write.
void deliver_conversation(storage::Tx& tx, Sync& sync, const ConversationRow& c,
                          const std::string& type, const std::vector<std::string>& extra_users,
                          boost::json::object fields = {});

}  // namespace parley::messages
