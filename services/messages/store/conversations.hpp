#pragma once
// Conversations, their members (with read markers and membership spans in the sync log),
// removals and invite codes. Every function runs inside the transaction it is given; the order
// in which writes lock these rows is store/lock_order.hpp's.

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "domain/rules.hpp"
#include "parley/storage/database.hpp"
#include "store/lock_order.hpp"

namespace parley::messages {

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

// A member with the username the people replica knows (nullopt if it does not know them yet).
struct NamedMember {
  Member member;
  std::optional<std::string> username;
};

// What sending needs to know about a conversation.
struct SendTarget {
  std::string kind;
  std::vector<std::string> member_ids;
};

namespace store {
using storage::Tx;

// conversations rows
std::optional<ConversationRow> conversation(Tx& tx, const std::string& id);
std::optional<std::string> direct_between(Tx& tx, const std::string& a, const std::string& b);
void insert_conversation(Tx& tx, const ConversationRow& c,
                         const std::optional<std::string>& direct_key);
void set_title(Tx& tx, const std::string& id, const std::string& title, const std::string& now);
void touch(Tx& tx, const std::string& id, const std::string& now);
void set_invite(Tx& tx, const std::string& id, const std::string& code,
                const std::string& expires_at);
void clear_invite(Tx& tx, const std::string& id);
std::optional<std::string> conversation_by_invite(Tx& tx, const std::string& code,
                                                  const std::string& now);
// The caller's conversations, most recent activity first, after (activity, id).
std::vector<ConversationRow> list_for(Tx& tx, const std::string& user_id,
                                      const std::string& after_activity,
                                      const std::string& after_id, int limit);
// Every conversation the user is a member of, by id (creation order), after after_id ("" first).
std::vector<ConversationRow> list_all_for(Tx& tx, const std::string& user_id,
                                          const std::string& after_id, int limit);
// Kind and members of each conversation that exists and has members (for a group-commit batch
// of sends).
std::map<std::string, SendTarget> send_targets(Tx& tx,
                                               const std::vector<std::string>& conversation_ids);
// Adds count to each conversation's last_seq (the row locks order concurrent senders) and sets
// last_activity_at; returns each conversation's new last_seq. The seqs last-count+1 .. last are
// the caller's: contiguous, no gaps, no duplicates.
std::map<std::string, std::int64_t> take_seqs(Tx& tx,
                                              const std::map<std::string, std::int64_t>& counts,
                                              const std::string& now);

// members rows
std::vector<Member> members(Tx& tx, const std::string& conversation_id);
std::optional<Member> member(Tx& tx, const std::string& conversation_id,
                             const std::string& user_id);
std::vector<NamedMember> named_members(Tx& tx, const std::string& conversation_id);
// They read the conversation's events after clock.gseq() (their membership span starts there).
void add_member(Tx& tx, const std::string& conversation_id, const std::string& user_id, Role role,
                const std::string& now, const ClockHeld& clock);
// They still read the conversation's events up to clock.gseq() (their span ends there).
void remove_member(Tx& tx, const std::string& conversation_id, const std::string& user_id,
                   const ClockHeld& clock);
void set_role(Tx& tx, const std::string& conversation_id, const std::string& user_id, Role role,
              const ClockHeld& clock);
// The longest-standing admin, else member: who inherits ownership when the owner leaves.
std::optional<std::string> successor(Tx& tx, const std::string& conversation_id);
void set_read(Tx& tx, const std::string& conversation_id, const std::string& user_id,
              std::int64_t seq, const ClockHeld& clock);
// Moves each (conversation, user) read marker up to seq, never down.
void raise_read_markers(
    Tx& tx, const std::vector<std::tuple<std::string, std::string, std::int64_t>>& markers,
    const ClockHeld& clock);
std::int64_t unread(Tx& tx, const std::string& conversation_id, const std::string& user_id,
                    std::int64_t read_seq);
// Each member's unread count (as unread() gives it), in one statement.
std::map<std::string, std::int64_t> unread_counts(Tx& tx, const std::string& conversation_id);

// removals: by an owner or admin (not leaving); such a member may not rejoin by invite code until
// added back (clear_removal).
void record_removal(Tx& tx, const std::string& conversation_id, const std::string& user_id,
                    const std::string& removed_by, const std::string& now);
void clear_removal(Tx& tx, const std::string& conversation_id, const std::string& user_id);
bool removed(Tx& tx, const std::string& conversation_id, const std::string& user_id);

}  // namespace store
}  // namespace parley::messages
