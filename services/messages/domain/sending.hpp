#pragma once
// The rules of sending a message: who may send into a conversation, what a retried send (its
// client_id seen before) answers, what two sends with one client_id in a batch answer, and how
// a batch's new messages are numbered. No I/O: the caller gathers the facts of every send of a
// group-commit batch, decides, and applies the decisions.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/rules.hpp"
#include "parley/core/error.hpp"

namespace parley::messages {

// What is true of one send when its batch runs.
struct SendFacts {
  std::string sender{};
  std::string conversation_id{};
  std::optional<std::string> client_id =
      std::nullopt;     // the client's key for retrying the send, if any
  bool member = false;  // the conversation exists and the sender is in it
  bool direct = false;  // a direct conversation
  // Direct: what decides whether the sender may write to the other member; nullopt when the
  // other side is gone (their account deleted, or not known here).
  std::optional<DirectFacts> peer = std::nullopt;
  bool sent_before = false;  // a message with this client_id is stored: the send is a retry
};

// Why a send (or an edit, which writes to the other side as a send does) is refused.
enum class SendRefusal {
  not_a_member,  // 404: a stranger learns nothing, not even that the conversation exists
  peer_gone,     // 403: the other side of the direct conversation is gone
  not_allowed,   // 403: a block, or a recipient who takes direct messages from contacts only
};
Error refusal_error(SendRefusal refusal);

struct SendDecision {
  enum class Outcome {
    create,   // a new message, numbered by number_new_messages (201)
    replay,   // the message stored with this client_id before, answered again (200)
    same_as,  // one client_id twice in the batch: the answer of the earlier send that creates
    refuse,
  };
  Outcome outcome = Outcome::create;
  std::size_t same_as = 0;  // same_as: the index of that earlier send in the batch
  SendRefusal refusal{};    // refuse: why
  bool operator==(const SendDecision&) const = default;
};

// Each send of a batch, in the order they came: only a member sends; a retry answers with what
// it made before (even where it could not be sent now); into a direct conversation, only while
// the other side is there and may be written to; of two sends with one client_id, the first
// that may send creates and the later ones share its answer.
std::vector<SendDecision> decide_sends(const std::vector<SendFacts>& batch);

// Whether the sender may write into a direct conversation now: nullopt if so.
std::optional<SendRefusal> direct_refusal(const std::optional<DirectFacts>& peer);

// How many new messages each conversation gets, given the conversation of each new message.
std::map<std::string, std::int64_t> new_message_counts(
    const std::vector<std::string>& conversation_of_each);
// The seq of each new message: each conversation's numbered in the order they came, ending at
// its last seq with them counted (what store::take_seqs answers for new_message_counts).
// REQUIRES: last_seq has every conversation.
std::vector<std::int64_t> number_new_messages(const std::vector<std::string>& conversation_of_each,
                                              const std::map<std::string, std::int64_t>& last_seq);

}  // namespace parley::messages
