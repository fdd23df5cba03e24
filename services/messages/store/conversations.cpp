#include "store/conversations.hpp"

#include "parley/storage/sql.hpp"
#include "store/detail.hpp"

namespace parley::messages::store {

namespace {
using detail::in_chunks;
using detail::mysql;
using detail::ordered;

constexpr const char* kConversation = "id, kind, title, created_at, last_seq, last_activity_at";
ConversationRow to_conversation(const storage::Row& r) {
  return ConversationRow{r.text(0), r.text(1), r.optional_text(2), r.text(3), r.integer(4), r.text(5)};
}
}  // namespace

std::optional<ConversationRow> conversation(Tx& tx, const std::string& id) {
  auto rows = tx.query(std::string("SELECT ") + kConversation + " FROM conversations WHERE id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return to_conversation(rows[0]);
}

std::optional<std::string> direct_between(Tx& tx, const std::string& a, const std::string& b) {
  auto [x, y] = ordered(a, b);
  auto rows = tx.query("SELECT id FROM conversations WHERE direct_key = ?", {x + ":" + y});
  if (rows.empty()) return std::nullopt;
  return rows[0].text(0);
}

void insert_conversation(Tx& tx, const ConversationRow& c, const std::optional<std::string>& direct_key) {
  lock(tx, Locked::rows);
  tx.exec("INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq, last_activity_at) "
          "VALUES (?, ?, ?, ?, ?, 0, ?)",
          {c.id, c.kind, c.title ? storage::Value(*c.title) : storage::Value(nullptr),
           direct_key ? storage::Value(*direct_key) : storage::Value(nullptr), c.created_at, c.last_activity_at});
}

void set_title(Tx& tx, const std::string& id, const std::string& title, const std::string& now) {
  lock(tx, Locked::rows);
  tx.exec("UPDATE conversations SET title = ?, last_activity_at = ? WHERE id = ?", {title, now, id});
}

void touch(Tx& tx, const std::string& id, const std::string& now) {
  lock(tx, Locked::rows);
  tx.exec("UPDATE conversations SET last_activity_at = ? WHERE id = ?", {now, id});
}

void set_invite(Tx& tx, const std::string& id, const std::string& code, const std::string& expires_at) {
  lock(tx, Locked::rows);
  tx.exec("UPDATE conversations SET invite_code = ?, invite_expires_at = ? WHERE id = ?", {code, expires_at, id});
}

void clear_invite(Tx& tx, const std::string& id) {
  lock(tx, Locked::rows);
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

std::map<std::string, SendTarget> send_targets(Tx& tx, const std::vector<std::string>& conversation_ids) {
  std::map<std::string, SendTarget> out;
  in_chunks(conversation_ids.size(), 64, [&](std::size_t from, std::size_t to) {
    std::vector<storage::Value> ids(conversation_ids.begin() + static_cast<std::ptrdiff_t>(from),
                                    conversation_ids.begin() + static_cast<std::ptrdiff_t>(to));
    for (const auto& r : tx.query("SELECT c.id, c.kind, m.user_id FROM conversations c JOIN members m "
                                  "ON m.conversation_id = c.id WHERE c.id IN (" + storage::sql::repeated("?", to - from) + ")",
                                  ids)) {
      SendTarget& t = out[r.text(0)];
      t.kind = r.text(1);
      t.member_ids.push_back(r.text(2));
    }
  });
  return out;
}

std::map<std::string, std::int64_t> take_seqs(Tx& tx, const std::map<std::string, std::int64_t>& counts,
                                              const std::string& now) {
  lock(tx, Locked::rows);
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
                      " END, last_activity_at = ? WHERE id IN (" + storage::sql::repeated("?", to - from) + ")";
    storage::Rows rows;
    if (mysql(tx)) {
      if (tx.exec(sql, params) != static_cast<std::int64_t>(to - from))
        throw storage::StorageError("a conversation vanished while sending");
      rows = tx.query("SELECT id, last_seq FROM conversations WHERE id IN (" + storage::sql::repeated("?", to - from) + ")", ids);
    } else {
      rows = tx.query(sql + " RETURNING id, last_seq", params);
    }
    for (const auto& r : rows) last[r.text(0)] = r.integer(1);
  });
  if (last.size() != counts.size()) throw storage::StorageError("a conversation vanished while sending");
  return last;
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

std::vector<NamedMember> named_members(Tx& tx, const std::string& conversation_id) {
  std::vector<NamedMember> out;
  for (const auto& r : tx.query("SELECT m.user_id, m.role, m.read_seq, p.username FROM members m "
                                "LEFT JOIN people p ON p.user_id = m.user_id WHERE m.conversation_id = ? "
                                "ORDER BY m.joined_at, m.user_id",
                                {conversation_id}))
    out.push_back(NamedMember{Member{r.text(0), parse_role(r.text(1)), r.integer(2)}, r.optional_text(3)});
  return out;
}

void add_member(Tx& tx, const std::string& conversation_id, const std::string& user_id, Role role, const std::string& now,
                const ClockHeld& clock) {
  clock.check(tx);
  lock(tx, Locked::members);
  auto last = tx.query("SELECT last_seq FROM conversations WHERE id = ?", {conversation_id});
  std::int64_t read = last.empty() ? 0 : last[0].integer(0);  // history counts as read
  tx.exec("INSERT INTO members (conversation_id, user_id, role, joined_at, read_seq, since_gseq) VALUES (?, ?, ?, ?, ?, ?)",
          {conversation_id, user_id, std::string(role_name(role)), now, read, clock.gseq()});
}

void remove_member(Tx& tx, const std::string& conversation_id, const std::string& user_id, const ClockHeld& clock) {
  clock.check(tx);
  lock(tx, Locked::members);
  const std::int64_t until_gseq = clock.gseq();
  // They still get the conversation's events up to now, should their devices be behind.
  tx.exec("INSERT INTO past_members (user_id, conversation_id, since_gseq, until_gseq) "
          "SELECT user_id, conversation_id, since_gseq, ? FROM members WHERE conversation_id = ? AND user_id = ? "
          "AND since_gseq < ?",
          {until_gseq, conversation_id, user_id, until_gseq});
  tx.exec("DELETE FROM members WHERE conversation_id = ? AND user_id = ?", {conversation_id, user_id});
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

void set_role(Tx& tx, const std::string& conversation_id, const std::string& user_id, Role role, const ClockHeld& clock) {
  clock.check(tx);
  lock(tx, Locked::members);
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

void set_read(Tx& tx, const std::string& conversation_id, const std::string& user_id, std::int64_t seq,
              const ClockHeld& clock) {
  clock.check(tx);
  lock(tx, Locked::members);
  tx.exec("UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ? AND read_seq < ?",
          {seq, conversation_id, user_id, seq});
}

void raise_read_markers(Tx& tx, const std::vector<std::tuple<std::string, std::string, std::int64_t>>& markers,
                        const ClockHeld& clock) {
  clock.check(tx);
  lock(tx, Locked::members);
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
                storage::sql::repeated("(conversation_id = ? AND user_id = ?)", to - from, " OR "),
            params);
  });
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

}  // namespace parley::messages::store
