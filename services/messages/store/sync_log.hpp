#pragma once
// The sync log. One global sequence, gseq, numbers every event in commit order (on MySQL the
// clock row's lock makes writers that take gseqs commit one after another). A conversation's
// events are stored once and read by each member through their membership span (members.since_gseq;
// past_members keeps the spans of those who left); a user's own events are stored for them.
// Every function runs inside the transaction it is given.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "parley/storage/database.hpp"
#include "store/lock_order.hpp"

namespace parley::messages::store {
using storage::Tx;

struct SyncHead {
  std::int64_t last = 0;   // the newest gseq committed
  std::int64_t floor = 0;  // pruning removed every event up to here: an older cursor is expired
  std::string epoch;       // this database's sync log; a cursor of another one is expired
};
SyncHead sync_head(Tx& tx);
// In a write: takes the clock (store/lock_order.hpp), locked on MySQL until the transaction
// ends; the proof carries the newest gseq, where a membership span starts or ends.
ClockHeld lock_sync_head(Tx& tx);
// An event to append: for a conversation (every member reads it) or for one user.
// Text that many users' events share but for one number: an event's payload is head + the
// number + tail.
struct SharedBody {
  std::string head, tail;
};
struct NewEvent {
  const std::string* conversation_id = nullptr;  // set for a conversation's event...
  const std::string* user_id = nullptr;          // ...or this, for one user's own
  const std::string* payload = nullptr;
  // For a conversation's event: its members as the caller read them in this transaction, if it
  // did (on SQLite, with one writer, they are current and are not read again).
  const std::vector<std::string>* members = nullptr;
  // For a user's event: its payload is body->head + fill + body->tail (payload says the same),
  // stored once for all the events of this call that share the body.
  const SharedBody* body = nullptr;
  std::int64_t fill = 0;
};
struct Appended {
  std::int64_t first = 0;  // the first event's gseq; the others follow it in order
  // The members of the conversations whose events' audiences had to be read after the clock was
  // taken (all of them on MySQL, where the caller's read may be older; on SQLite those the caller
  // did not give): exactly the users who will read the event from the log.
  std::map<std::string, std::vector<std::string>> audiences;
  // The clock append_events took to number them (none for no events): held until the commit.
  std::optional<ClockHeld> clock;
};
// Appends events with consecutive gseqs in the order given, taking the clock.
Appended append_events(Tx& tx, const std::vector<NewEvent>& events, std::int64_t now_ms);
struct SyncRead {
  std::vector<std::pair<std::int64_t, std::string>> events;  // (gseq, payload), ascending
  SyncHead head;
};
// The clock, and the user's events after cursor (at most limit). Several statements: run it in
// one read transaction (Database::read), so that they read one snapshot.
SyncRead read_sync(Tx& tx, const std::string& user_id, std::int64_t cursor, int limit);
// An event as the log holds it, with the users it is for (a conversation event's members by
// their spans, or the one user).
struct LoggedEvent {
  std::int64_t gseq = 0;
  std::string payload;
  std::int64_t at_ms = 0;
  std::vector<std::string> audience;
};
// Every event with from <= gseq <= to, ascending; nullopt if any of them is not there (pruned).
// Call it in a read transaction (one snapshot).
std::optional<std::vector<LoggedEvent>> events_between(Tx& tx, std::int64_t from, std::int64_t to);
// Removes up to about batch events of each kind stored before older_than_ms; returns how many.
std::int64_t prune_events(Tx& tx, std::int64_t older_than_ms, int batch);

}  // namespace parley::messages::store
