#include "domain/sending.hpp"

#include <tuple>

namespace parley::messages {

Error refusal_error(SendRefusal refusal) {
  switch (refusal) {
    case SendRefusal::not_a_member:
      return Error::not_found("no such conversation");
    case SendRefusal::peer_gone:
      return Error::permission_denied("the other side of this conversation is gone");
    case SendRefusal::not_allowed:
      return Error::permission_denied("you cannot message this user");
  }
  return Error::permission_denied();
}

std::optional<SendRefusal> direct_refusal(const std::optional<DirectFacts>& peer) {
  if (!peer) return SendRefusal::peer_gone;
  if (!may_message_directly(*peer)) return SendRefusal::not_allowed;
  return std::nullopt;
}

std::vector<SendDecision> decide_sends(const std::vector<SendFacts>& batch) {
  using Outcome = SendDecision::Outcome;
  using Key = std::tuple<const std::string&, const std::string&, const std::string&>;
  std::vector<SendDecision> out;
  out.reserve(batch.size());
  std::map<Key, std::size_t>
      creating;  // (sender, conversation, client_id) -> the send that creates
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const SendFacts& s = batch[i];
    if (!s.member) {
      out.push_back({Outcome::refuse, 0, SendRefusal::not_a_member});
      continue;
    }
    if (s.client_id) {
      if (s.sent_before) {
        out.push_back({Outcome::replay});
        continue;
      }
      if (auto first = creating.find(Key{s.sender, s.conversation_id, *s.client_id});
          first != creating.end()) {
        out.push_back({Outcome::same_as, first->second});
        continue;
      }
    }
    if (s.direct)
      if (auto refusal = direct_refusal(s.peer)) {
        out.push_back({Outcome::refuse, 0, *refusal});
        continue;
      }
    if (s.client_id) creating.emplace(Key{s.sender, s.conversation_id, *s.client_id}, i);
    out.push_back({Outcome::create});
  }
  return out;
}

std::map<std::string, std::int64_t> new_message_counts(
    const std::vector<std::string>& conversation_of_each) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& c : conversation_of_each) ++counts[c];
  return counts;
}

std::vector<std::int64_t> number_new_messages(const std::vector<std::string>& conversation_of_each,
                                              const std::map<std::string, std::int64_t>& last_seq) {
  auto counts = new_message_counts(conversation_of_each);
  std::map<std::string, std::int64_t> next;
  for (const auto& [id, n] : counts) next[id] = last_seq.at(id) - n + 1;
  std::vector<std::int64_t> seqs;
  seqs.reserve(conversation_of_each.size());
  for (const auto& c : conversation_of_each) seqs.push_back(next[c]++);
  return seqs;
}

}  // namespace parley::messages
