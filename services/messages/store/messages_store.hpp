#pragma once
// The messages service's tables. Every function runs inside the transaction it is given.

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

std::vector<storage::Migration> messages_migrations();

struct ConversationRow {
  std::string id;
  std::string kind;  // "direct" or "group"
  std::optional<std::string> title;
  std::string created_at;
  std::int64_t last_seq = 0;
  std::string last_activity_at;
};

struct Member {
  std::string user_id;
  Role role = Role::member;
  std::int64_t read_seq = 0;
};

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

// What sending needs to know about a conversation.
struct SendTarget {
  std::string kind;
  std::vector<std::string> member_ids;
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

// A member with the username the people replica knows (nullopt if it does not know them yet).
struct NamedMember {
  Member member;
  std::optional<std::string> username;
};

struct Person {
  std::string user_id;
  std::string dm_policy;
};

namespace store {
using storage::Tx;

// replica
void upsert_person(Tx& tx, const std::string& user_id, const std::string& username, const std::string& dm_policy);
// A new person (dm_policy "everyone"); one already known keeps what it has (user.registered may
// arrive again after a user.profile_updated that set the policy).
void add_person(Tx& tx, const std::string& user_id, const std::string& username);
void update_policy(Tx& tx, const std::string& user_id, const std::string& dm_policy);
std::optional<Person> person(Tx& tx, const std::string& user_id);
void set_contacts(Tx& tx, const std::string& a, const std::string& b, bool contacts);
void set_block(Tx& tx, const std::string& blocker, const std::string& blocked, bool blocked_now);
// Everything that decides whether sender may write to recipient directly, in one query; nullopt
// if the recipient is unknown.
std::optional<DirectFacts> direct_facts(Tx& tx, const std::string& sender, const std::string& recipient);
// Erases a deleted account: replica rows, memberships, sync log; their messages become tombstones.
void erase_user(Tx& tx, const std::string& user_id);

// conversations and members
std::optional<ConversationRow> conversation(Tx& tx, const std::string& id);
std::optional<std::string> direct_between(Tx& tx, const std::string& a, const std::string& b);
void insert_conversation(Tx& tx, const ConversationRow& c, const std::optional<std::string>& direct_key);
void set_title(Tx& tx, const std::string& id, const std::string& title, const std::string& now);
void touch(Tx& tx, const std::string& id, const std::string& now);
std::vector<Member> members(Tx& tx, const std::string& conversation_id);
std::optional<Member> member(Tx& tx, const std::string& conversation_id, const std::string& user_id);
// since_gseq: lock_sync_head() when they join; they read the conversation's events after it.
void add_member(Tx& tx, const std::string& conversation_id, const std::string& user_id, Role role, const std::string& now,
                std::int64_t since_gseq);
// until_gseq: lock_sync_head() when they leave; they still read the events up to it.
void remove_member(Tx& tx, const std::string& conversation_id, const std::string& user_id, std::int64_t until_gseq);
// Removals by an owner or admin (not leaving): such a member may not rejoin by invite code until
// added back (clear_removal).
void record_removal(Tx& tx, const std::string& conversation_id, const std::string& user_id,
                    const std::string& removed_by, const std::string& now);
void clear_removal(Tx& tx, const std::string& conversation_id, const std::string& user_id);
bool removed(Tx& tx, const std::string& conversation_id, const std::string& user_id);
void set_role(Tx& tx, const std::string& conversation_id, const std::string& user_id, Role role);
// The longest-standing admin, else member: who inherits ownership when the owner leaves.
std::optional<std::string> successor(Tx& tx, const std::string& conversation_id);
void set_read(Tx& tx, const std::string& conversation_id, const std::string& user_id, std::int64_t seq);
std::int64_t unread(Tx& tx, const std::string& conversation_id, const std::string& user_id, std::int64_t read_seq);
// Each member's unread count (as unread() gives it), in one statement.
std::map<std::string, std::int64_t> unread_counts(Tx& tx, const std::string& conversation_id);
void clear_invite(Tx& tx, const std::string& id);
void set_invite(Tx& tx, const std::string& id, const std::string& code, const std::string& expires_at);
std::optional<std::string> conversation_by_invite(Tx& tx, const std::string& code, const std::string& now);
// The caller's conversations, most recent activity first, after (activity, id).
std::vector<ConversationRow> list_for(Tx& tx, const std::string& user_id, const std::string& after_activity,
                                      const std::string& after_id, int limit);

// Every conversation the user is a member of, by id (creation order), after after_id ("" first).
std::vector<ConversationRow> list_all_for(Tx& tx, const std::string& user_id, const std::string& after_id, int limit);
std::vector<NamedMember> named_members(Tx& tx, const std::string& conversation_id);

// messages
std::optional<MessageRow> message(Tx& tx, const std::string& conversation_id, const std::string& id);
std::optional<MessageRow> message_by_seq(Tx& tx, const std::string& conversation_id, std::int64_t seq);
std::optional<MessageRow> by_client_id(Tx& tx, const std::string& conversation_id, const std::string& sender,
                                       const std::string& client_id);
void edit_message(Tx& tx, const MessageRow& before, const std::string& body, const std::string& now);
void tombstone(Tx& tx, const std::string& message_id);
// Ascending by seq; more says whether more lie beyond the page in the direction asked.
storage::Page<MessageRow> history(Tx& tx, const std::string& conversation_id, const HistoryPage& page);
// Up to limit messages after after_seq, ascending, each with its sender's username and edits;
// more says whether more follow.
storage::Page<ExportedMessage> export_history(Tx& tx, const std::string& conversation_id, std::int64_t after_seq,
                                              int limit);

// Sends, all of a group-commit batch at once: a few statements over many rows each.
// The members of each conversation, read as they stand now (a locking read on MySQL, past the
// transaction's snapshot).
std::map<std::string, std::vector<std::string>> current_members(Tx& tx, std::vector<std::string> conversation_ids);
// Kind and members of each conversation that exists and has members.
std::map<std::string, SendTarget> send_targets(Tx& tx, const std::vector<std::string>& conversation_ids);
// For each (sender, recipient) whose recipient is known: what decides whether sender may write
// to recipient directly.
std::map<std::pair<std::string, std::string>, DirectFacts> direct_facts(
    Tx& tx, const std::vector<std::pair<std::string, std::string>>& pairs);
// (sender, conversation, client_id) -> the message sent with it earlier, for those that exist.
using ClientKey = std::tuple<std::string, std::string, std::string>;
std::map<ClientKey, MessageRow> by_client_ids(Tx& tx, const std::vector<ClientKey>& keys);
// Adds count to each conversation's last_seq (the row locks order concurrent senders) and sets
// last_activity_at; returns each conversation's new last_seq. The seqs last-count+1 .. last are
// the caller's: contiguous, no gaps, no duplicates.
std::map<std::string, std::int64_t> take_seqs(Tx& tx, const std::map<std::string, std::int64_t>& counts,
                                              const std::string& now);
void insert_messages(Tx& tx, const std::vector<MessageRow>& messages);
// Moves each (conversation, user) read marker up to seq, never down.
void raise_read_markers(Tx& tx, const std::vector<std::tuple<std::string, std::string, std::int64_t>>& markers);

// The sync log. One global sequence, gseq, numbers every event in commit order (on MySQL the
// clock row's lock makes writers that take gseqs commit one after another). A conversation's
// events are stored once and read by each member through their membership span (members.since_gseq;
// past_members keeps the spans of those who left); a user's own events are stored for them.
struct SyncHead {
  std::int64_t last = 0;   // the newest gseq committed
  std::int64_t floor = 0;  // pruning removed every event up to here: an older cursor is expired
  std::string epoch;       // this database's sync log; a cursor of another one is expired
};
SyncHead sync_head(Tx& tx);
// In a write: the newest gseq, locked on MySQL until the transaction ends (a membership span
// starts or ends here). Lock order, so that writers on several replicas do not deadlock:
// conversations and messages rows first, then the clock (this, or append_events), then members
// rows (spans, read markers, roles).
std::int64_t lock_sync_head(Tx& tx);
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
};
// Appends events with consecutive gseqs in the order given.
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
}  // namespace store

}  // namespace parley::messages
