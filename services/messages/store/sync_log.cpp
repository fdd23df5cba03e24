#include "store/sync_log.hpp"

#include <algorithm>

#include "parley/storage/sql.hpp"
#include "store/detail.hpp"

namespace parley::messages::store {

// The one maker of ClockHeld (a friend of it).
struct ClockTaking {
  static ClockHeld made_in(Tx& tx, std::int64_t gseq) { return ClockHeld(tx, gseq); }
};

namespace {
using detail::in_chunks;
using detail::mysql;

// A user event's text, from user_events u LEFT JOIN event_bodies b: its own, or its shared body
// around its number.
std::string user_event_text(Tx& tx) {
  return "CASE WHEN u.body_id IS NULL THEN u.payload ELSE " +
         storage::sql::concat(tx.dialect(), {"b.head", "u.fill", "b.tail"}) + " END";
}

// The members of each conversation, read as they stand now (a locking read on MySQL, past the
// transaction's snapshot). REQUIRES: the clock taken (the lock order).
std::map<std::string, std::vector<std::string>> current_members(Tx& tx, std::vector<std::string> conversation_ids) {
  lock(tx, Locked::members);
  std::sort(conversation_ids.begin(), conversation_ids.end());
  conversation_ids.erase(std::unique(conversation_ids.begin(), conversation_ids.end()), conversation_ids.end());
  std::map<std::string, std::vector<std::string>> out;
  in_chunks(conversation_ids.size(), 64, [&](std::size_t from, std::size_t to) {
    std::vector<storage::Value> ids(conversation_ids.begin() + static_cast<std::ptrdiff_t>(from),
                                    conversation_ids.begin() + static_cast<std::ptrdiff_t>(to));
    for (const auto& r : tx.query("SELECT conversation_id, user_id FROM members WHERE conversation_id IN (" +
                                      storage::sql::repeated("?", to - from) + ")" +
                                      std::string(storage::sql::locking_read(tx.dialect(), storage::sql::RowLock::shared)),
                                  ids))
      out[r.text(0)].push_back(r.text(1));
  });
  return out;
}
}  // namespace

SyncHead sync_head(Tx& tx) {
  auto rows = tx.query("SELECT last_gseq, floor_gseq, epoch FROM sync_clock WHERE id = 1");
  if (rows.empty()) throw storage::StorageError("sync_clock has no row");
  return SyncHead{rows[0].integer(0), rows[0].integer(1), rows[0].text(2)};
}

ClockHeld lock_sync_head(Tx& tx) {
  lock(tx, Locked::clock);
  // SQLite has one writer; on MySQL the row lock orders this writer after every other one that
  // took gseqs and has not committed yet.
  auto rows = tx.query("SELECT last_gseq FROM sync_clock WHERE id = 1" +
                       std::string(storage::sql::locking_read(tx.dialect(), storage::sql::RowLock::exclusive)));
  if (rows.empty()) throw storage::StorageError("sync_clock has no row");
  return ClockTaking::made_in(tx, rows[0].integer(0));
}

Appended append_events(Tx& tx, const std::vector<NewEvent>& events, std::int64_t now_ms) {
  if (events.empty()) return {};
  auto n = static_cast<std::int64_t>(events.size());
  lock(tx, Locked::clock);
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
    tx.exec("INSERT INTO event_bodies (id, last_gseq, head, tail) VALUES " + storage::sql::repeated("(?, ?, ?, ?)", to - from), params);
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
                               storage::sql::repeated("(?, ?, ?, ?)", to - from)
                         : "INSERT INTO user_events (gseq, user_id, created_at_ms, payload, body_id, fill) VALUES " +
                               storage::sql::repeated("(?, ?, ?, ?, ?, ?)", to - from),
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
  Appended out{first, ids.empty() ? std::map<std::string, std::vector<std::string>>{} : current_members(tx, ids),
               ClockTaking::made_in(tx, last)};
  for (const auto& id : ids) out.audiences.try_emplace(id);  // a conversation without members: nobody
  return out;
}

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
                                  "WHERE conversation_id IN (" + storage::sql::repeated("?", b - a) + ") "
                                  "UNION ALL SELECT conversation_id, user_id, since_gseq, until_gseq FROM past_members "
                                  "WHERE conversation_id IN (" + storage::sql::repeated("?", b - a) + ")",
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
  // The clock first, as every writer takes it before it adds event rows (see lock_order.hpp): on
  // MySQL, deleting the log's last rows locks its end, where a writer holding the clock inserts.
  (void)lock_sync_head(tx);
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

}  // namespace parley::messages::store
