#pragma once
// Messages and the earlier bodies of edited ones. Every function runs inside the transaction it
// is given; the order in which writes lock these rows is store/lock_order.hpp's.

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "domain/rules.hpp"
#include "parley/storage/database.hpp"
#include "parley/storage/page.hpp"

namespace parley::messages {

struct MessageRow {
  std::string id;
  std::string conversation_id;
  std::int64_t seq = 0;
  std::string sender_id;
  std::optional<std::string> body;
  std::optional<std::string> client_id;
  std::string created_at;
  std::optional<std::string> edited_at;
  bool deleted = false;
  boost::json::object to_json() const;
};

// An earlier body of an edited message, and when an edit replaced it.
struct MessageEdit {
  std::string body;
  std::string replaced_at;
};

// A message as an account export sees it: the public shape plus the sender's username and the
// edit history.
struct ExportedMessage {
  MessageRow message;
  std::optional<std::string> sender_username;  // nullopt once the sender's account is gone
  std::vector<MessageEdit> edits;              // oldest first; none for a deleted message
  boost::json::object to_json() const;
};

namespace store {
using storage::Tx;

std::optional<MessageRow> message(Tx& tx, const std::string& conversation_id,
                                  const std::string& id);
std::optional<MessageRow> message_by_seq(Tx& tx, const std::string& conversation_id,
                                         std::int64_t seq);
std::optional<MessageRow> by_client_id(Tx& tx, const std::string& conversation_id,
                                       const std::string& sender, const std::string& client_id);
// (sender, conversation, client_id) -> the message sent with it earlier, for those that exist.
using ClientKey = std::tuple<std::string, std::string, std::string>;
std::map<ClientKey, MessageRow> by_client_ids(Tx& tx, const std::vector<ClientKey>& keys);
// REQUIRES: their seqs taken (store::take_seqs). A client_id taken meanwhile throws
// storage::ConstraintViolation.
void insert_messages(Tx& tx, const std::vector<MessageRow>& messages);
void edit_message(Tx& tx, const MessageRow& before, const std::string& body,
                  const std::string& now);
void tombstone(Tx& tx, const std::string& message_id);
// Ascending by seq; more says whether more lie beyond the page in the direction asked.
storage::Page<MessageRow> history(Tx& tx, const std::string& conversation_id,
                                  const HistoryPage& page);
// Up to limit messages after after_seq, ascending, each with its sender's username and edits;
// more says whether more follow.
storage::Page<ExportedMessage> export_history(Tx& tx, const std::string& conversation_id,
                                              std::int64_t after_seq, int limit);

}  // namespace store
}  // namespace parley::messages
