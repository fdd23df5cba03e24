#include "store/messages.hpp"

#include <algorithm>

#include "parley/storage/sql.hpp"
#include "store/detail.hpp"
#include "store/lock_order.hpp"

namespace parley::messages {

boost::json::object MessageRow::to_json() const {
  boost::json::object o{{"id", id}, {"conversation_id", conversation_id}, {"seq", seq}, {"sender_id", sender_id}};
  o["body"] = deleted || !body ? boost::json::value(nullptr) : boost::json::value(*body);
  o["client_id"] = client_id ? boost::json::value(*client_id) : boost::json::value(nullptr);
  o["created_at"] = created_at;
  o["edited_at"] = edited_at ? boost::json::value(*edited_at) : boost::json::value(nullptr);
  o["deleted"] = deleted;
  return o;
}

boost::json::object ExportedMessage::to_json() const {
  boost::json::object o = message.to_json();
  o["sender_username"] = sender_username ? boost::json::value(*sender_username) : boost::json::value(nullptr);
  boost::json::array history;
  for (const auto& e : edits) history.push_back(boost::json::object{{"body", e.body}, {"replaced_at", e.replaced_at}});
  o["edits"] = std::move(history);
  return o;
}

namespace store {

namespace {
using detail::in_chunks;

constexpr const char* kMessage = "id, conversation_id, seq, sender_id, body, client_id, created_at, edited_at, deleted";
MessageRow to_message(const storage::Row& r) {
  return MessageRow{r.text(0), r.text(1), r.integer(2), r.text(3), r.optional_text(4), r.optional_text(5),
                    r.text(6), r.optional_text(7), r.integer(8) != 0};
}
std::optional<MessageRow> one_message(Tx& tx, const std::string& where, const std::vector<storage::Value>& params) {
  auto rows = tx.query(std::string("SELECT ") + kMessage + " FROM messages WHERE " + where, params);
  if (rows.empty()) return std::nullopt;
  return to_message(rows[0]);
}
}  // namespace

std::optional<MessageRow> message(Tx& tx, const std::string& conversation_id, const std::string& id) {
  return one_message(tx, "conversation_id = ? AND id = ?", {conversation_id, id});
}

std::optional<MessageRow> message_by_seq(Tx& tx, const std::string& conversation_id, std::int64_t seq) {
  return one_message(tx, "conversation_id = ? AND seq = ?", {conversation_id, seq});
}

std::optional<MessageRow> by_client_id(Tx& tx, const std::string& conversation_id, const std::string& sender,
                                       const std::string& client_id) {
  return one_message(tx, "sender_id = ? AND conversation_id = ? AND client_id = ?", {sender, conversation_id, client_id});
}

std::map<ClientKey, MessageRow> by_client_ids(Tx& tx, const std::vector<ClientKey>& keys) {
  std::map<ClientKey, MessageRow> out;
  in_chunks(keys.size(), 32, [&](std::size_t from, std::size_t to) {
    std::vector<storage::Value> params;
    for (std::size_t i = from; i < to; ++i) {
      params.emplace_back(std::get<0>(keys[i]));
      params.emplace_back(std::get<1>(keys[i]));
      params.emplace_back(std::get<2>(keys[i]));
    }
    for (const auto& r : tx.query(std::string("SELECT ") + kMessage + " FROM messages WHERE " +
                                      storage::sql::repeated("(sender_id = ? AND conversation_id = ? AND client_id = ?)", to - from, " OR "),
                                  params)) {
      MessageRow m = to_message(r);
      out.emplace(ClientKey{m.sender_id, m.conversation_id, *m.client_id}, std::move(m));
    }
  });
  return out;
}

void insert_messages(Tx& tx, const std::vector<MessageRow>& messages) {
  lock(tx, Locked::rows);
  in_chunks(messages.size(), 64, [&](std::size_t from, std::size_t to) {
    std::vector<storage::Value> params;
    for (std::size_t i = from; i < to; ++i) {
      const MessageRow& m = messages[i];
      params.emplace_back(m.id);
      params.emplace_back(m.conversation_id);
      params.emplace_back(m.seq);
      params.emplace_back(m.sender_id);
      params.emplace_back(*m.body);
      params.emplace_back(m.client_id ? storage::Value(*m.client_id) : storage::Value(nullptr));
      params.emplace_back(m.created_at);
    }
    tx.exec("INSERT INTO messages (id, conversation_id, seq, sender_id, body, client_id, created_at) VALUES " +
                storage::sql::repeated("(?, ?, ?, ?, ?, ?, ?)", to - from),
            params);
  });
}

void edit_message(Tx& tx, const MessageRow& before, const std::string& body, const std::string& now) {
  lock(tx, Locked::rows);
  tx.exec("INSERT INTO message_edits (message_id, body, replaced_at) VALUES (?, ?, ?)", {before.id, *before.body, now});
  tx.exec("UPDATE messages SET body = ?, edited_at = ? WHERE id = ?", {body, now, before.id});
}

void tombstone(Tx& tx, const std::string& message_id) {
  lock(tx, Locked::rows);
  tx.exec("DELETE FROM message_edits WHERE message_id = ?", {message_id});
  tx.exec("UPDATE messages SET body = NULL, deleted = 1 WHERE id = ?", {message_id});
}

storage::Page<MessageRow> history(Tx& tx, const std::string& conversation_id, const HistoryPage& page) {
  std::vector<MessageRow> rows;
  std::int64_t fetch = storage::rows_for_page(page.limit);
  if (page.after_seq) {
    for (const auto& r : tx.query(std::string("SELECT ") + kMessage +
                                      " FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                                  {conversation_id, *page.after_seq, fetch}))
      rows.push_back(to_message(r));
    return storage::page_of(std::move(rows), page.limit);
  }
  std::int64_t before = page.before_seq.value_or(INT64_MAX);
  for (const auto& r : tx.query(std::string("SELECT ") + kMessage +
                                    " FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                                {conversation_id, before, fetch}))
    rows.push_back(to_message(r));
  auto out = storage::page_of(std::move(rows), page.limit);  // newest first: the extra row is the oldest
  std::reverse(out.items.begin(), out.items.end());
  return out;
}

storage::Page<ExportedMessage> export_history(Tx& tx, const std::string& conversation_id, std::int64_t after_seq,
                                              int limit) {
  std::vector<ExportedMessage> rows;
  for (const auto& r : tx.query("SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.client_id, m.created_at, "
                                "m.edited_at, m.deleted, p.username FROM messages m "
                                "LEFT JOIN people p ON p.user_id = m.sender_id "
                                "WHERE m.conversation_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
                                {conversation_id, after_seq, storage::rows_for_page(limit)}))
    rows.push_back(ExportedMessage{to_message(r), r.optional_text(9), {}});
  auto out = storage::page_of(std::move(rows), limit);
  if (out.items.empty()) return out;
  // The page's edits in one query: those of the messages with seq in (after_seq, last seq].
  std::map<std::string, std::vector<MessageEdit>> edits;
  for (const auto& r : tx.query("SELECT e.message_id, e.body, e.replaced_at FROM message_edits e "
                                "JOIN messages m ON m.id = e.message_id "
                                "WHERE m.conversation_id = ? AND m.seq > ? AND m.seq <= ? ORDER BY e.replaced_at",
                                {conversation_id, after_seq, out.items.back().message.seq}))
    edits[r.text(0)].push_back(MessageEdit{r.text(1), r.text(2)});
  for (auto& m : out.items)
    if (auto it = edits.find(m.message.id); it != edits.end()) m.edits = std::move(it->second);
  return out;
}

}  // namespace store
}  // namespace parley::messages
