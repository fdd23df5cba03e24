#include "store/messages_store.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "parley/core/ids.hpp"
#include "parley/events/outbox.hpp"
#include "parley/storage/sql.hpp"

namespace parley::messages {

std::vector<storage::Migration> messages_migrations() {
  return {{1,
           R"sql(
CREATE TABLE people (user_id TEXT PRIMARY KEY, username TEXT NOT NULL, dm_policy TEXT NOT NULL DEFAULT 'everyone');
CREATE TABLE contact_pairs (user_a TEXT NOT NULL, user_b TEXT NOT NULL, PRIMARY KEY (user_a, user_b)) WITHOUT ROWID;
CREATE TABLE block_pairs (blocker_id TEXT NOT NULL, blocked_id TEXT NOT NULL, PRIMARY KEY (blocker_id, blocked_id)) WITHOUT ROWID;
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT,
  direct_key TEXT UNIQUE,
  created_at TEXT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  last_activity_at TEXT NOT NULL,
  invite_code TEXT UNIQUE,
  invite_expires_at TEXT
);
CREATE TABLE members (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  joined_at TEXT NOT NULL,
  read_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user_id);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sender_id TEXT NOT NULL,
  body TEXT,
  client_id TEXT,
  created_at TEXT NOT NULL,
  edited_at TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_by_client_id ON messages(conversation_id, sender_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX messages_by_sender ON messages(sender_id);
CREATE TABLE message_edits (message_id TEXT NOT NULL, body TEXT NOT NULL, replaced_at TEXT NOT NULL);
CREATE INDEX message_edits_by_message ON message_edits(message_id);
CREATE TABLE sync_state (user_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE user_events (
  user_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
CREATE INDEX user_events_by_age ON user_events(created_at_ms);
)sql" + events::outbox_inbox_schema(storage::Dialect::sqlite),
           R"sql(
CREATE TABLE people (user_id VARCHAR(36) PRIMARY KEY, username VARCHAR(32) NOT NULL, dm_policy VARCHAR(16) NOT NULL DEFAULT 'everyone');
CREATE TABLE contact_pairs (user_a VARCHAR(36) NOT NULL, user_b VARCHAR(36) NOT NULL, PRIMARY KEY (user_a, user_b));
CREATE TABLE block_pairs (blocker_id VARCHAR(36) NOT NULL, blocked_id VARCHAR(36) NOT NULL, PRIMARY KEY (blocker_id, blocked_id));
CREATE TABLE conversations (
  id VARCHAR(36) PRIMARY KEY,
  kind VARCHAR(8) NOT NULL,
  title VARCHAR(512),
  direct_key VARCHAR(73) UNIQUE,
  created_at VARCHAR(32) NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0,
  last_activity_at VARCHAR(32) NOT NULL,
  invite_code VARCHAR(64) UNIQUE,
  invite_expires_at VARCHAR(32)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE members (
  conversation_id VARCHAR(36) NOT NULL,
  user_id VARCHAR(36) NOT NULL,
  role VARCHAR(8) NOT NULL,
  joined_at VARCHAR(32) NOT NULL,
  read_seq BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_id, user_id),
  INDEX members_by_user (user_id)
);
CREATE TABLE messages (
  id VARCHAR(36) PRIMARY KEY,
  conversation_id VARCHAR(36) NOT NULL,
  seq BIGINT NOT NULL,
  sender_id VARCHAR(36) NOT NULL,
  body TEXT,
  client_id VARCHAR(64),
  created_at VARCHAR(32) NOT NULL,
  edited_at VARCHAR(32),
  deleted TINYINT NOT NULL DEFAULT 0,
  UNIQUE KEY messages_by_seq (conversation_id, seq),
  UNIQUE KEY messages_by_client_id (conversation_id, sender_id, client_id),
  INDEX messages_by_sender (sender_id)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE message_edits (message_id VARCHAR(36) NOT NULL, body TEXT NOT NULL, replaced_at VARCHAR(32) NOT NULL,
  INDEX message_edits_by_message (message_id)) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE sync_state (user_id VARCHAR(36) PRIMARY KEY, last_seq BIGINT NOT NULL);
CREATE TABLE user_events (
  user_id VARCHAR(36) NOT NULL,
  seq BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  payload LONGTEXT NOT NULL,
  PRIMARY KEY (user_id, seq),
  INDEX user_events_by_age (created_at_ms)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
)sql" + events::outbox_inbox_schema(storage::Dialect::mysql)},
          // One index serves both the client_id idempotency lookup and erasing a sender's messages:
          // a message insert touches one index page fewer. NULL client_ids never collide.
          {2,
           R"sql(
DROP INDEX messages_by_client_id;
DROP INDEX messages_by_sender;
CREATE UNIQUE INDEX messages_by_sender ON messages(sender_id, conversation_id, client_id);
)sql",
           R"sql(
ALTER TABLE messages DROP INDEX messages_by_client_id, DROP INDEX messages_by_sender,
  ADD UNIQUE KEY messages_by_sender (sender_id, conversation_id, client_id);
)sql"},
          // The sync log fanned out on read: one global sequence (gseq) numbers every event in
          // commit order. A conversation's events are stored once, and each member reads them
          // through their memberships (members.since_gseq, past_members for those who left);
          // only events for one user (their own view of a conversation, read markers) are stored
          // per user. A message to a group of 1,000 is one row, not 1,000. Cursors of the old
          // per-user log name no epoch: they answer 410 and the client starts over.
          {3,
           R"sql(
DROP TABLE user_events;
DROP TABLE sync_state;
CREATE TABLE sync_clock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_gseq INTEGER NOT NULL,
  floor_gseq INTEGER NOT NULL,
  epoch TEXT NOT NULL
);
INSERT INTO sync_clock (id, last_gseq, floor_gseq, epoch) VALUES (1, 0, 0, lower(hex(randomblob(8))));
CREATE TABLE conversation_events (
  gseq INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX conversation_events_by_conversation ON conversation_events(conversation_id, gseq);
CREATE TABLE user_events (
  gseq INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX user_events_by_user ON user_events(user_id, gseq);
ALTER TABLE members ADD COLUMN since_gseq INTEGER NOT NULL DEFAULT 0;
DROP INDEX members_by_user;
CREATE INDEX members_by_user ON members(user_id, since_gseq);
CREATE TABLE past_members (
  user_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  since_gseq INTEGER NOT NULL,
  until_gseq INTEGER NOT NULL,
  PRIMARY KEY (user_id, conversation_id, until_gseq)
) WITHOUT ROWID;
CREATE INDEX past_members_by_conversation ON past_members(conversation_id);
)sql",
           R"sql(
DROP TABLE user_events;
DROP TABLE sync_state;
CREATE TABLE sync_clock (
  id INT PRIMARY KEY,
  last_gseq BIGINT NOT NULL,
  floor_gseq BIGINT NOT NULL,
  epoch VARCHAR(16) NOT NULL
);
INSERT INTO sync_clock (id, last_gseq, floor_gseq, epoch) VALUES (1, 0, 0, LEFT(SHA2(CONCAT(UUID(), RAND()), 256), 16));
CREATE TABLE conversation_events (
  gseq BIGINT PRIMARY KEY,
  conversation_id VARCHAR(36) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  payload LONGTEXT NOT NULL,
  INDEX conversation_events_by_conversation (conversation_id, gseq)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE user_events (
  gseq BIGINT PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  payload LONGTEXT NOT NULL,
  INDEX user_events_by_user (user_id, gseq)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE members ADD COLUMN since_gseq BIGINT NOT NULL DEFAULT 0, DROP INDEX members_by_user,
  ADD INDEX members_by_user (user_id, since_gseq);
CREATE TABLE past_members (
  user_id VARCHAR(36) NOT NULL,
  conversation_id VARCHAR(36) NOT NULL,
  since_gseq BIGINT NOT NULL,
  until_gseq BIGINT NOT NULL,
  PRIMARY KEY (user_id, conversation_id, until_gseq),
  INDEX past_members_by_conversation (conversation_id)
);
)sql"},
          // Per-user events that differ only in one number (a group's conversation and member
          // events: the member's own unread count) share one stored body: each user's row holds
          // the number, the body the text around it. A rename of a 1,000-member group wrote its
          // ~66 KB view 1,000 times.
          {4,
           R"sql(
CREATE TABLE event_bodies (
  id INTEGER PRIMARY KEY,
  last_gseq INTEGER NOT NULL,
  head TEXT NOT NULL,
  tail TEXT NOT NULL
);
ALTER TABLE user_events ADD COLUMN body_id INTEGER;
ALTER TABLE user_events ADD COLUMN fill INTEGER;
)sql",
           R"sql(
CREATE TABLE event_bodies (
  id BIGINT PRIMARY KEY,
  last_gseq BIGINT NOT NULL,
  head LONGTEXT NOT NULL,
  tail VARCHAR(255) NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
ALTER TABLE user_events ADD COLUMN body_id BIGINT NULL, ADD COLUMN fill BIGINT NULL;
)sql"},
          // Members an owner or admin removed from a group: they may not rejoin by invite code
          // (security review #14, finding 4) until an owner or admin adds them back.
          {5,
           R"sql(
CREATE TABLE removals (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  removed_by TEXT NOT NULL,
  removed_at TEXT NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX removals_by_user ON removals(user_id);
)sql",
           R"sql(
CREATE TABLE removals (
  conversation_id VARCHAR(36) NOT NULL,
  user_id VARCHAR(36) NOT NULL,
  removed_by VARCHAR(36) NOT NULL,
  removed_at VARCHAR(32) NOT NULL,
  PRIMARY KEY (conversation_id, user_id),
  INDEX removals_by_user (user_id)
);
)sql"}};
}

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
bool mysql(Tx& tx) { return tx.dialect() == storage::Dialect::mysql; }
std::pair<std::string, std::string> ordered(const std::string& a, const std::string& b) {
  return a < b ? std::pair{a, b} : std::pair{b, a};
}
constexpr const char* kConversation = "id, kind, title, created_at, last_seq, last_activity_at";
ConversationRow to_conversation(const storage::Row& r) {
  return ConversationRow{r.text(0), r.text(1), r.optional_text(2), r.text(3), r.integer(4), r.text(5)};
}
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
// Calls f(from, to) for consecutive ranges of at most size of [0, n): statements over many rows
// stay a bounded size (and a bounded number of distinct prepared statements).
template <class F>
void in_chunks(std::size_t n, std::size_t size, F&& f) {
  for (std::size_t from = 0; from < n; from += size) f(from, std::min(n, from + size));
}
// n copies of unit, separated by sep: "(?, ?), (?, ?)".
std::string marks(std::string_view unit, std::size_t n, std::string_view sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += sep;
    out += unit;
  }
  return out;
}
}  // namespace

void upsert_person(Tx& tx, const std::string& user_id, const std::string& username, const std::string& dm_policy) {
  tx.exec(storage::sql::upsert(tx.dialect(), "people", {"user_id", "username", "dm_policy"}, {"user_id"},
                               {"username", "dm_policy"}),
          {user_id, username, dm_policy});
}

void add_person(Tx& tx, const std::string& user_id, const std::string& username) {
  tx.exec(storage::sql::upsert(tx.dialect(), "people", {"user_id", "username"}, {"user_id"}, {}), {user_id, username});
}

void update_policy(Tx& tx, const std::string& user_id, const std::string& dm_policy) {
  tx.exec("UPDATE people SET dm_policy = ? WHERE user_id = ?", {dm_policy, user_id});
}

std::optional<Person> person(Tx& tx, const std::string& user_id) {
  auto rows = tx.query("SELECT user_id, dm_policy FROM people WHERE user_id = ?", {user_id});
  if (rows.empty()) return std::nullopt;
  return Person{rows[0].text(0), rows[0].text(1)};
}

void set_contacts(Tx& tx, const std::string& a, const std::string& b, bool contacts) {
  auto [x, y] = ordered(a, b);
  if (contacts)
    tx.exec(storage::sql::insert_ignore(tx.dialect(), "contact_pairs", {"user_a", "user_b"}), {x, y});
  else
    tx.exec("DELETE FROM contact_pairs WHERE user_a = ? AND user_b = ?", {x, y});
}

void set_block(Tx& tx, const std::string& blocker, const std::string& blocked, bool blocked_now) {
  if (blocked_now)
    tx.exec(storage::sql::insert_ignore(tx.dialect(), "block_pairs", {"blocker_id", "blocked_id"}), {blocker, blocked});
  else
    tx.exec("DELETE FROM block_pairs WHERE blocker_id = ? AND blocked_id = ?", {blocker, blocked});
}

std::optional<DirectFacts> direct_facts(Tx& tx, const std::string& sender, const std::string& recipient) {
  auto [x, y] = ordered(sender, recipient);
  auto rows = tx.query(
      "SELECT p.dm_policy, "
      "EXISTS (SELECT 1 FROM block_pairs WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)), "
      "EXISTS (SELECT 1 FROM contact_pairs WHERE user_a = ? AND user_b = ?) "
      "FROM people p WHERE p.user_id = ?",
      {sender, recipient, recipient, sender, x, y, recipient});
  if (rows.empty()) return std::nullopt;
  return DirectFacts{rows[0].integer(1) != 0, rows[0].text(0) == "contacts", rows[0].integer(2) != 0};
}

void erase_user(Tx& tx, const std::string& user_id) {
  tx.exec("DELETE FROM people WHERE user_id = ?", {user_id});
  tx.exec("DELETE FROM contact_pairs WHERE user_a = ? OR user_b = ?", {user_id, user_id});
  tx.exec("DELETE FROM block_pairs WHERE blocker_id = ? OR blocked_id = ?", {user_id, user_id});
  tx.exec("DELETE FROM message_edits WHERE message_id IN (SELECT id FROM messages WHERE sender_id = ?)", {user_id});
  tx.exec("UPDATE messages SET body = NULL, deleted = 1 WHERE sender_id = ?", {user_id});
  // Locks in the order every writer takes them: conversations and messages, the sync log's
  // clock, members.
  lock_sync_head(tx);
  // Groups they owned pass to the longest-standing admin or member, as when an owner leaves.
  auto owned = tx.query("SELECT conversation_id FROM members WHERE user_id = ? AND role = 'owner'", {user_id});
  tx.exec("DELETE FROM members WHERE user_id = ?", {user_id});
  for (const auto& row : owned)
    if (auto heir = successor(tx, row.text(0))) set_role(tx, row.text(0), *heir, Role::owner);
  // Their own events go; the conversations' events stay for the other members.
  tx.exec("DELETE FROM user_events WHERE user_id = ?", {user_id});
  tx.exec("DELETE FROM past_members WHERE user_id = ?", {user_id});
  tx.exec("DELETE FROM removals WHERE user_id = ?", {user_id});
}

std::optional<ConversationRow> conversation(Tx& tx, const std::string& id) {
  auto rows = tx.query(std::string("SELECT ") + kConversation + " FROM conversations WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return to_conversation(rows[0]);
}

std::map<std::string, SendTarget> send_targets(Tx& tx, const std::vector<std::string>& conversation_ids) {
  std::map<std::string, SendTarget> out;
  in_chunks(conversation_ids.size(), 64, [&](std::size_t from, std::size_t to) {
    std::vector<storage::Value> ids(conversation_ids.begin() + static_cast<std::ptrdiff_t>(from),
                                    conversation_ids.begin() + static_cast<std::ptrdiff_t>(to));
    for (const auto& r : tx.query("SELECT c.id, c.kind, m.user_id FROM conversations c JOIN members m "
                                  "ON m.conversation_id = c.id WHERE c.id IN (" + marks("?", to - from) + ")",
                                  ids)) {
      SendTarget& t = out[r.text(0)];
      t.kind = r.text(1);
      t.member_ids.push_back(r.text(2));
    }
  });
  return out;
}

std::map<std::string, std::vector<std::string>> current_members(Tx& tx, std::vector<std::string> conversation_ids) {
  std::sort(conversation_ids.begin(), conversation_ids.end());
  conversation_ids.erase(std::unique(conversation_ids.begin(), conversation_ids.end()), conversation_ids.end());
  std::map<std::string, std::vector<std::string>> out;
  in_chunks(conversation_ids.size(), 64, [&](std::size_t from, std::size_t to) {
    std::vector<storage::Value> ids(conversation_ids.begin() + static_cast<std::ptrdiff_t>(from),
                                    conversation_ids.begin() + static_cast<std::ptrdiff_t>(to));
    for (const auto& r : tx.query("SELECT conversation_id, user_id FROM members WHERE conversation_id IN (" +
                                      marks("?", to - from) + ")" + (mysql(tx) ? " LOCK IN SHARE MODE" : ""),
                                  ids))
      out[r.text(0)].push_back(r.text(1));
  });
  return out;
}

std::map<std::pair<std::string, std::string>, DirectFacts> direct_facts(
    Tx& tx, const std::vector<std::pair<std::string, std::string>>& pairs) {
  // Three plain lookups in one statement: the recipients' policies, the blocks between the pairs
  // (either way) and their contacts. (One query block per pair with EXISTS subqueries cost
  // MariaDB ~1.4 ms to optimize for a batch of 18; this ~0.3 ms.)
  std::map<std::pair<std::string, std::string>, DirectFacts> out;
  // SQLite wants a row-value IN list as a VALUES subquery; MariaDB uses the index for the plain list.
  const std::string open = mysql(tx) ? "(" : "(VALUES ";
  in_chunks(pairs.size(), 32, [&](std::size_t from, std::size_t to) {
    std::set<std::string> recipients;
    std::set<std::pair<std::string, std::string>> blocks, contacts;
    for (std::size_t i = from; i < to; ++i) {
      const auto& [sender, recipient] = pairs[i];
      recipients.insert(recipient);
      blocks.emplace(sender, recipient);
      blocks.emplace(recipient, sender);
      contacts.insert(ordered(sender, recipient));
    }
    std::vector<storage::Value> params(recipients.begin(), recipients.end());
    for (const auto& set : {&blocks, &contacts})
      for (const auto& [a, b] : *set) {
        params.emplace_back(a);
        params.emplace_back(b);
      }
    std::map<std::string, std::string> policy;
    std::set<std::pair<std::string, std::string>> blocked, in_contact;
    for (const auto& r : tx.query(
             "SELECT 0, user_id, dm_policy FROM people WHERE user_id IN (" + marks("?", recipients.size()) + ") "
             "UNION ALL SELECT 1, blocker_id, blocked_id FROM block_pairs WHERE (blocker_id, blocked_id) IN " + open +
                 marks("(?, ?)", blocks.size()) + ") "
             "UNION ALL SELECT 2, user_a, user_b FROM contact_pairs WHERE (user_a, user_b) IN " + open +
                 marks("(?, ?)", contacts.size()) + ")",
             params)) {
      switch (r.integer(0)) {
        case 0: policy[r.text(1)] = r.text(2); break;
        case 1: blocked.emplace(r.text(1), r.text(2)); break;
        default: in_contact.emplace(r.text(1), r.text(2)); break;
      }
    }
    for (std::size_t i = from; i < to; ++i) {
      const auto& [sender, recipient] = pairs[i];
      auto p = policy.find(recipient);
      if (p == policy.end()) continue;  // unknown recipient
      out[pairs[i]] = DirectFacts{blocked.count({sender, recipient}) + blocked.count({recipient, sender}) > 0,
                                  p->second == "contacts", in_contact.count(ordered(sender, recipient)) > 0};
    }
  });
  return out;
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
                                      marks("(sender_id = ? AND conversation_id = ? AND client_id = ?)", to - from, " OR "),
                                  params)) {
      MessageRow m = to_message(r);
      out.emplace(ClientKey{m.sender_id, m.conversation_id, *m.client_id}, std::move(m));
    }
  });
  return out;
}

std::map<std::string, std::int64_t> take_seqs(Tx& tx, const std::map<std::string, std::int64_t>& counts,
                                              const std::string& now) {
  std::vector<std::pair<std::string, std::int64_t>> all(counts.begin(), counts.end());  // in id order: lock order
  std::map<std::string, std::int64_t> last;
  in_chunks(all.size(), 64, [&](std::size_t from, std::size_t to) {
    std::string cases;
    std::vector<storage::Value> params, ids;
    for (std::size_t i = from; i < to; ++i) {
      cases += " WHEN ? THEN ?";
      params.emplace_back(all[i].first);
      params.emplace_back(all[i].second);
      ids.emplace_back(all[i].first);
    }
    params.emplace_back(now);
    params.insert(params.end(), ids.begin(), ids.end());
    std::string sql = "UPDATE conversations SET last_seq = last_seq + CASE id" + cases +
                      " END, last_activity_at = ? WHERE id IN (" + marks("?", to - from) + ")";
    storage::Rows rows;
    if (mysql(tx)) {
      if (tx.exec(sql, params) != static_cast<std::int64_t>(to - from))
        throw storage::StorageError("a conversation vanished while sending");
      rows = tx.query("SELECT id, last_seq FROM conversations WHERE id IN (" + marks("?", to - from) + ")", ids);
    } else {
      rows = tx.query(sql + " RETURNING id, last_seq", params);
    }
    for (const auto& r : rows) last[r.text(0)] = r.integer(1);
  });
  if (last.size() != counts.size()) throw storage::StorageError("a conversation vanished while sending");
  return last;
}

void insert_messages(Tx& tx, const std::vector<MessageRow>& messages) {
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
                marks("(?, ?, ?, ?, ?, ?, ?)", to - from),
            params);
  });
}

void raise_read_markers(Tx& tx, const std::vector<std::tuple<std::string, std::string, std::int64_t>>& markers) {
  in_chunks(markers.size(), 32, [&](std::size_t from, std::size_t to) {
    std::string cases;
    std::vector<storage::Value> params, where;
    for (std::size_t i = from; i < to; ++i) {
      const auto& [conversation_id, user_id, seq] = markers[i];
      cases += " WHEN conversation_id = ? AND user_id = ? AND read_seq < ? THEN ?";
      for (const storage::Value& v : {storage::Value(conversation_id), storage::Value(user_id), storage::Value(seq), storage::Value(seq)})
        params.push_back(v);
      where.emplace_back(conversation_id);
      where.emplace_back(user_id);
    }
    params.insert(params.end(), where.begin(), where.end());
    tx.exec("UPDATE members SET read_seq = CASE" + cases + " ELSE read_seq END WHERE " +
                marks("(conversation_id = ? AND user_id = ?)", to - from, " OR "),
            params);
  });
}

std::optional<std::string> direct_between(Tx& tx, const std::string& a, const std::string& b) {
  auto [x, y] = ordered(a, b);
  auto rows = tx.query("SELECT id FROM conversations WHERE direct_key = ?", {x + ":" + y});
  if (rows.empty()) return std::nullopt;
  return rows[0].text(0);
}

void insert_conversation(Tx& tx, const ConversationRow& c, const std::optional<std::string>& direct_key) {
  tx.exec("INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq, last_activity_at) "
          "VALUES (?, ?, ?, ?, ?, 0, ?)",
          {c.id, c.kind, c.title ? storage::Value(*c.title) : storage::Value(nullptr),
           direct_key ? storage::Value(*direct_key) : storage::Value(nullptr), c.created_at, c.last_activity_at});
}

void set_title(Tx& tx, const std::string& id, const std::string& title, const std::string& now) {
  tx.exec("UPDATE conversations SET title = ?, last_activity_at = ? WHERE id = ?", {title, now, id});
}

void touch(Tx& tx, const std::string& id, const std::string& now) {
  tx.exec("UPDATE conversations SET last_activity_at = ? WHERE id = ?", {now, id});
}

std::vector<Member> members(Tx& tx, const std::string& conversation_id) {
  std::vector<Member> out;
  for (const auto& r : tx.query("SELECT user_id, role, read_seq FROM members WHERE conversation_id = ? "
                                "ORDER BY joined_at, user_id",
                                {conversation_id}))
    out.push_back(Member{r.text(0), parse_role(r.text(1)), r.integer(2)});
  return out;
}

std::optional<Member> member(Tx& tx, const std::string& conversation_id, const std::string& user_id) {
  auto rows = tx.query("SELECT user_id, role, read_seq FROM members WHERE conversation_id = ? AND user_id = ?",
                       {conversation_id, user_id});
  if (rows.empty()) return std::nullopt;
  return Member{rows[0].text(0), parse_role(rows[0].text(1)), rows[0].integer(2)};
}

void add_member(Tx& tx, const std::string& conversation_id, const std::string& user_id, Role role, const std::string& now,
                std::int64_t since_gseq) {
  auto last = tx.query("SELECT last_seq FROM conversations WHERE id = ?", {conversation_id});
  std::int64_t read = last.empty() ? 0 : last[0].integer(0);  // history counts as read
  tx.exec("INSERT INTO members (conversation_id, user_id, role, joined_at, read_seq, since_gseq) VALUES (?, ?, ?, ?, ?, ?)",
          {conversation_id, user_id, std::string(role_name(role)), now, read, since_gseq});
}

void record_removal(Tx& tx, const std::string& conversation_id, const std::string& user_id,
                    const std::string& removed_by, const std::string& now) {
  // REPLACE: the same in both dialects (a delete and an insert of the one row).
  tx.exec(
      "REPLACE INTO removals (conversation_id, user_id, removed_by, removed_at) VALUES (?, ?, ?, "
      "?)",
      {conversation_id, user_id, removed_by, now});
}

void clear_removal(Tx& tx, const std::string& conversation_id, const std::string& user_id) {
  tx.exec("DELETE FROM removals WHERE conversation_id = ? AND user_id = ?",
          {conversation_id, user_id});
}

bool removed(Tx& tx, const std::string& conversation_id, const std::string& user_id) {
  return !tx.query("SELECT 1 FROM removals WHERE conversation_id = ? AND user_id = ?",
                   {conversation_id, user_id})
              .empty();
}

void remove_member(Tx& tx, const std::string& conversation_id, const std::string& user_id, std::int64_t until_gseq) {
  // They still get the conversation's events up to now, should their devices be behind.
  tx.exec("INSERT INTO past_members (user_id, conversation_id, since_gseq, until_gseq) "
          "SELECT user_id, conversation_id, since_gseq, ? FROM members WHERE conversation_id = ? AND user_id = ? "
          "AND since_gseq < ?",
          {until_gseq, conversation_id, user_id, until_gseq});
  tx.exec("DELETE FROM members WHERE conversation_id = ? AND user_id = ?", {conversation_id, user_id});
}

void set_role(Tx& tx, const std::string& conversation_id, const std::string& user_id, Role role) {
  tx.exec("UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?",
          {std::string(role_name(role)), conversation_id, user_id});
}

std::optional<std::string> successor(Tx& tx, const std::string& conversation_id) {
  auto rows = tx.query("SELECT user_id FROM members WHERE conversation_id = ? "
                       "ORDER BY CASE role WHEN 'admin' THEN 0 ELSE 1 END, joined_at, user_id LIMIT 1",
                       {conversation_id});
  if (rows.empty()) return std::nullopt;
  return rows[0].text(0);
}

void set_read(Tx& tx, const std::string& conversation_id, const std::string& user_id, std::int64_t seq) {
  tx.exec("UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ? AND read_seq < ?",
          {seq, conversation_id, user_id, seq});
}

std::int64_t unread(Tx& tx, const std::string& conversation_id, const std::string& user_id, std::int64_t read_seq) {
  return tx.query("SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id <> ? AND deleted = 0",
                  {conversation_id, read_seq, user_id})[0]
      .integer(0);
}

std::map<std::string, std::int64_t> unread_counts(Tx& tx, const std::string& conversation_id) {
  std::map<std::string, std::int64_t> out;
  for (const auto& r : tx.query("SELECT m.user_id, COUNT(x.seq) FROM members m LEFT JOIN messages x "
                                "ON x.conversation_id = m.conversation_id AND x.seq > m.read_seq "
                                "AND x.sender_id <> m.user_id AND x.deleted = 0 "
                                "WHERE m.conversation_id = ? GROUP BY m.user_id",
                                {conversation_id}))
    out[r.text(0)] = r.integer(1);
  return out;
}

void set_invite(Tx& tx, const std::string& id, const std::string& code, const std::string& expires_at) {
  tx.exec("UPDATE conversations SET invite_code = ?, invite_expires_at = ? WHERE id = ?", {code, expires_at, id});
}

void clear_invite(Tx& tx, const std::string& id) {
  tx.exec("UPDATE conversations SET invite_code = NULL, invite_expires_at = NULL WHERE id = ?", {id});
}

std::optional<std::string> conversation_by_invite(Tx& tx, const std::string& code, const std::string& now) {
  auto rows = tx.query("SELECT id FROM conversations WHERE invite_code = ? AND invite_expires_at > ?", {code, now});
  if (rows.empty()) return std::nullopt;
  return rows[0].text(0);
}

std::vector<ConversationRow> list_for(Tx& tx, const std::string& user_id, const std::string& after_activity,
                                      const std::string& after_id, int limit) {
  std::vector<ConversationRow> out;
  std::string sql =
      "SELECT c.id, c.kind, c.title, c.created_at, c.last_seq, c.last_activity_at FROM members m "
      "JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = ? "
      "AND (? = '' OR c.last_activity_at < ? OR (c.last_activity_at = ? AND c.id < ?)) "
      "ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ?";
  for (const auto& r : tx.query(sql, {user_id, after_activity, after_activity, after_activity, after_id,
                                      std::int64_t{limit}}))
    out.push_back(to_conversation(r));
  return out;
}

std::vector<ConversationRow> list_all_for(Tx& tx, const std::string& user_id, const std::string& after_id, int limit) {
  std::vector<ConversationRow> out;
  for (const auto& r : tx.query("SELECT c.id, c.kind, c.title, c.created_at, c.last_seq, c.last_activity_at FROM members m "
                                "JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = ? AND c.id > ? "
                                "ORDER BY c.id LIMIT ?",
                                {user_id, after_id, std::int64_t{limit}}))
    out.push_back(to_conversation(r));
  return out;
}

std::vector<NamedMember> named_members(Tx& tx, const std::string& conversation_id) {
  std::vector<NamedMember> out;
  for (const auto& r : tx.query("SELECT m.user_id, m.role, m.read_seq, p.username FROM members m "
                                "LEFT JOIN people p ON p.user_id = m.user_id WHERE m.conversation_id = ? "
                                "ORDER BY m.joined_at, m.user_id",
                                {conversation_id}))
    out.push_back(NamedMember{Member{r.text(0), parse_role(r.text(1)), r.integer(2)}, r.optional_text(3)});
  return out;
}

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

void edit_message(Tx& tx, const MessageRow& before, const std::string& body, const std::string& now) {
  tx.exec("INSERT INTO message_edits (message_id, body, replaced_at) VALUES (?, ?, ?)", {before.id, *before.body, now});
  tx.exec("UPDATE messages SET body = ?, edited_at = ? WHERE id = ?", {body, now, before.id});
}

void tombstone(Tx& tx, const std::string& message_id) {
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

SyncHead sync_head(Tx& tx) {
  auto rows = tx.query("SELECT last_gseq, floor_gseq, epoch FROM sync_clock WHERE id = 1");
  if (rows.empty()) throw storage::StorageError("sync_clock has no row");
  return SyncHead{rows[0].integer(0), rows[0].integer(1), rows[0].text(2)};
}

std::int64_t lock_sync_head(Tx& tx) {
  // SQLite has one writer; on MySQL the row lock orders this writer after every other one that
  // took gseqs and has not committed yet.
  auto rows = tx.query(mysql(tx) ? "SELECT last_gseq FROM sync_clock WHERE id = 1 FOR UPDATE"
                                 : "SELECT last_gseq FROM sync_clock WHERE id = 1");
  if (rows.empty()) throw storage::StorageError("sync_clock has no row");
  return rows[0].integer(0);
}

Appended append_events(Tx& tx, const std::vector<NewEvent>& events, std::int64_t now_ms) {
  if (events.empty()) return {};
  auto n = static_cast<std::int64_t>(events.size());
  // The counter row hands out gseqs. On MySQL its lock is held until this transaction commits, so
  // transactions commit in gseq order and a reader never sees a gseq before a lower one commits:
  // a cursor can never pass an event that is still on its way.
  std::int64_t last = 0;
  if (mysql(tx)) {
    tx.exec("UPDATE sync_clock SET last_gseq = LAST_INSERT_ID(last_gseq + ?) WHERE id = 1", {n});
    last = tx.last_insert_id();
  } else {
    last = tx.query("UPDATE sync_clock SET last_gseq = last_gseq + ? WHERE id = 1 RETURNING last_gseq", {n})[0].integer(0);
  }
  std::int64_t first = last - n + 1;
  // Shared bodies: one row each, named by the gseq of the first event that uses it.
  std::map<const SharedBody*, std::pair<std::int64_t, std::int64_t>> bodies;  // -> (id, last gseq)
  for (std::size_t i = 0; i < events.size(); ++i)
    if (const SharedBody* b = events[i].body; b && events[i].user_id) {
      std::int64_t g = first + static_cast<std::int64_t>(i);
      auto [it, fresh] = bodies.try_emplace(b, g, g);
      it->second.second = g;
    }
  std::vector<std::pair<const SharedBody*, std::pair<std::int64_t, std::int64_t>>> body_rows(bodies.begin(), bodies.end());
  in_chunks(body_rows.size(), 64, [&](std::size_t from, std::size_t to) {
    std::vector<storage::Value> params;
    for (std::size_t k = from; k < to; ++k) {
      const auto& [b, ids] = body_rows[k];
      params.insert(params.end(), {ids.first, ids.second, b->head, b->tail});
    }
    tx.exec("INSERT INTO event_bodies (id, last_gseq, head, tail) VALUES " + marks("(?, ?, ?, ?)", to - from), params);
  });
  for (int table = 0; table < 2; ++table) {
    std::vector<std::size_t> mine;
    for (std::size_t i = 0; i < events.size(); ++i)
      if ((events[i].conversation_id != nullptr) == (table == 0)) mine.push_back(i);
    in_chunks(mine.size(), 64, [&](std::size_t from, std::size_t to) {
      std::vector<storage::Value> params;
      for (std::size_t k = from; k < to; ++k) {
        const NewEvent& e = events[mine[k]];
        params.emplace_back(first + static_cast<std::int64_t>(mine[k]));
        params.emplace_back(table == 0 ? *e.conversation_id : *e.user_id);
        params.emplace_back(now_ms);
        if (table == 0) {
          params.emplace_back(*e.payload);
        } else if (e.body) {  // the text is the body's, around this event's number
          params.emplace_back(std::string());
          params.emplace_back(bodies.at(e.body).first);
          params.emplace_back(e.fill);
        } else {
          params.emplace_back(*e.payload);
          params.emplace_back(nullptr);
          params.emplace_back(nullptr);
        }
      }
      tx.exec(table == 0 ? "INSERT INTO conversation_events (gseq, conversation_id, created_at_ms, payload) VALUES " +
                               marks("(?, ?, ?, ?)", to - from)
                         : "INSERT INTO user_events (gseq, user_id, created_at_ms, payload, body_id, fill) VALUES " +
                               marks("(?, ?, ?, ?, ?, ?)", to - from),
              params);
    });
  }
  // Who reads a conversation's event from the log is decided by the membership spans as they
  // stand now that the clock is taken. A member list the caller read earlier may be older (on
  // MySQL, the transaction's snapshot; another replica may have added or removed a member since):
  // read them again, with a locking read, so that the in-memory tails get the same audience.
  std::vector<std::string> ids;
  for (const auto& e : events)
    if (e.conversation_id && (mysql(tx) || !e.members)) ids.push_back(*e.conversation_id);
  Appended out{first, ids.empty() ? std::map<std::string, std::vector<std::string>>{} : current_members(tx, ids)};
  for (const auto& id : ids) out.audiences.try_emplace(id);  // a conversation without members: nobody
  return out;
}

namespace {
// A user event's text, from user_events u LEFT JOIN event_bodies b: its own, or its shared body
// around its number.
std::string user_event_text(Tx& tx) {
  return mysql(tx) ? "CASE WHEN u.body_id IS NULL THEN u.payload ELSE CONCAT(b.head, u.fill, b.tail) END"
                   : "CASE WHEN u.body_id IS NULL THEN u.payload ELSE b.head || u.fill || b.tail END";
}
}  // namespace

SyncRead read_sync(Tx& tx, const std::string& user_id, std::int64_t cursor, int limit) {
  // First the clock and the user's membership spans, then their events after the cursor: from
  // each conversation's own range at most `limit` (index order, no payload), the first `limit`
  // of all of those, and only their payloads. A read costs O(limit x conversations) however far
  // behind the cursor is: catching up pages through the backlog in linear time (reading every
  // event after the cursor and sorting made each page cost the whole backlog, quadratic over a
  // catch-up: 66 ms a page at 60,000 events on MariaDB). The caller runs this in one read
  // transaction: the spans, the clock and the events are one snapshot.
  SyncRead out;
  bool head = false;
  struct Span {
    std::string conversation;
    std::int64_t after, upto;
  };
  std::vector<Span> spans;
  for (const auto& r : tx.query("SELECT 0, last_gseq, floor_gseq, epoch FROM sync_clock WHERE id = 1 "
                                "UNION ALL SELECT 1, since_gseq, 9223372036854775807, conversation_id FROM members "
                                "WHERE user_id = ? "
                                "UNION ALL SELECT 1, since_gseq, until_gseq, conversation_id FROM past_members "
                                "WHERE user_id = ?",
                                {user_id, user_id})) {
    if (r.integer(0) == 0) {
      out.head = SyncHead{r.integer(1), r.integer(2), r.text(3)};
      head = true;
    } else if (r.integer(2) > std::max(cursor, r.integer(1))) {
      spans.push_back(Span{r.text(3), std::max(cursor, r.integer(1)), r.integer(2)});
    }
  }
  if (!head) throw storage::StorageError("sync_clock has no row");
  // The user's own events ride with the first chunk of conversations (there is always one).
  constexpr std::size_t kSpansPerStatement = 64;
  std::size_t chunks = std::max<std::size_t>(1, (spans.size() + kSpansPerStatement - 1) / kSpansPerStatement);
  for (std::size_t c = 0; c < chunks; ++c) {
    std::size_t from = c * kSpansPerStatement, to = std::min(spans.size(), from + kSpansPerStatement);
    std::string branches;
    std::vector<storage::Value> params;
    for (std::size_t i = from; i < to; ++i) {
      branches += "SELECT * FROM (SELECT gseq, 0 AS src FROM conversation_events WHERE conversation_id = ? "
                  "AND gseq > ? AND gseq <= ? ORDER BY gseq LIMIT ?) b" + std::to_string(i - from) + " UNION ALL ";
      params.insert(params.end(), {spans[i].conversation, spans[i].after, spans[i].upto, std::int64_t{limit}});
    }
    if (c == 0) {
      branches += "SELECT * FROM (SELECT gseq, 1 AS src FROM user_events WHERE user_id = ? AND gseq > ? "
                  "ORDER BY gseq LIMIT ?) bu";
      params.insert(params.end(), {user_id, cursor, std::int64_t{limit}});
    } else {
      branches.resize(branches.size() - std::string_view(" UNION ALL ").size());
    }
    params.emplace_back(std::int64_t{limit});
    for (const auto& r : tx.query("SELECT k.gseq, COALESCE(e.payload, " + user_event_text(tx) + ") FROM (SELECT gseq, src FROM (" +
                                      branches + ") a ORDER BY gseq LIMIT ?) k "
                                      "LEFT JOIN conversation_events e ON k.src = 0 AND e.gseq = k.gseq "
                                      "LEFT JOIN user_events u ON k.src = 1 AND u.gseq = k.gseq "
                                      "LEFT JOIN event_bodies b ON b.id = u.body_id",
                                  params))
      out.events.emplace_back(r.integer(0), r.text(1));
  }
  std::sort(out.events.begin(), out.events.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (out.events.size() > static_cast<std::size_t>(limit)) out.events.resize(static_cast<std::size_t>(limit));
  return out;
}

std::optional<std::vector<LoggedEvent>> events_between(Tx& tx, std::int64_t from, std::int64_t to) {
  std::vector<LoggedEvent> out;
  std::map<std::int64_t, std::string> conversation_of;  // gseq -> conversation, for conversation events
  for (const auto& r : tx.query("SELECT 0, gseq, conversation_id, created_at_ms, payload FROM conversation_events "
                                "WHERE gseq BETWEEN ? AND ? "
                                "UNION ALL SELECT 1, u.gseq, u.user_id, u.created_at_ms, " + user_event_text(tx) +
                                " FROM user_events u LEFT JOIN event_bodies b ON b.id = u.body_id "
                                "WHERE u.gseq BETWEEN ? AND ?",
                                {from, to, from, to})) {
    out.push_back(LoggedEvent{r.integer(1), r.text(4), r.integer(3), {}});
    if (r.integer(0) == 0) conversation_of[r.integer(1)] = r.text(2);
    else out.back().audience.push_back(r.text(2));
  }
  if (static_cast<std::int64_t>(out.size()) != to - from + 1) return std::nullopt;  // pruned, or not committed
  // Each conversation event's audience: the members whose span holds it, as the log's reads do.
  std::vector<std::string> ids;
  for (const auto& [g, c] : conversation_of) ids.push_back(c);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::map<std::string, std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>> spans;
  in_chunks(ids.size(), 64, [&](std::size_t a, std::size_t b) {
    std::vector<storage::Value> params;
    for (int twice = 0; twice < 2; ++twice)
      params.insert(params.end(), ids.begin() + static_cast<std::ptrdiff_t>(a), ids.begin() + static_cast<std::ptrdiff_t>(b));
    for (const auto& r : tx.query("SELECT conversation_id, user_id, since_gseq, 9223372036854775807 FROM members "
                                  "WHERE conversation_id IN (" + marks("?", b - a) + ") "
                                  "UNION ALL SELECT conversation_id, user_id, since_gseq, until_gseq FROM past_members "
                                  "WHERE conversation_id IN (" + marks("?", b - a) + ")",
                                  params))
      spans[r.text(0)].emplace_back(r.text(1), r.integer(2), r.integer(3));
  });
  for (auto& e : out) {
    auto c = conversation_of.find(e.gseq);
    if (c == conversation_of.end()) continue;
    for (const auto& [user, since, until] : spans[c->second])
      if (since < e.gseq && e.gseq <= until) e.audience.push_back(user);
  }
  std::sort(out.begin(), out.end(), [](const LoggedEvent& a, const LoggedEvent& b) { return a.gseq < b.gseq; });
  return out;
}

std::int64_t prune_events(Tx& tx, std::int64_t older_than_ms, int batch) {
  // gseqs follow commit order, and so (nearly: replicas' clocks differ) age: each table loses a
  // prefix, up to its newest event among its oldest `batch` that is older than the cutoff. The
  // floor remembers how far pruning went: an older cursor may have missed events (410).
  std::int64_t removed = 0, floor = 0;
  for (const char* table : {"conversation_events", "user_events"}) {
    auto rows = tx.query(std::string("SELECT MAX(gseq) FROM (SELECT gseq, created_at_ms FROM ") + table +
                             " ORDER BY gseq LIMIT ?) t WHERE created_at_ms < ?",
                         {std::int64_t{batch}, older_than_ms});
    if (rows.empty() || rows[0].is_null(0)) continue;
    std::int64_t upto = rows[0].integer(0);
    removed += tx.exec(std::string("DELETE FROM ") + table + " WHERE gseq <= ?", {upto});
    floor = std::max(floor, upto);
  }
  if (floor > 0) {
    tx.exec(std::string("UPDATE sync_clock SET floor_gseq = ") + std::string(storage::sql::greatest(tx.dialect())) +
                "(floor_gseq, ?) WHERE id = 1",
            {floor});
    // Spans that ended at or before the floor can serve no cursor any more, nor bodies whose
    // events are all gone.
    tx.exec("DELETE FROM past_members WHERE until_gseq <= ?", {floor});
    tx.exec("DELETE FROM event_bodies WHERE last_gseq <= ?", {floor});
  }
  return removed;
}

}  // namespace store
}  // namespace parley::messages
