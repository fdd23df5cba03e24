#include "domain/sending.hpp"

#include <gtest/gtest.h>

namespace parley::messages {
namespace {

std::string outcome(const SendDecision& d) {
  switch (d.outcome) {
    case SendDecision::Outcome::create:
      return "create";
    case SendDecision::Outcome::replay:
      return "replay";
    case SendDecision::Outcome::same_as:
      return "same as " + std::to_string(d.same_as);
    case SendDecision::Outcome::refuse: {
      Error e = refusal_error(d.refusal);
      return std::to_string(e.status()) + " " + e.message();
    }
  }
  return "?";
}

std::vector<std::string> outcomes(const std::vector<SendFacts>& batch) {
  std::vector<std::string> out;
  for (const auto& d : decide_sends(batch)) out.push_back(outcome(d));
  return out;
}

// The other side's dm_policy is everyone; either side blocked the other; their dm_policy is
// contacts, and the two are not contacts; they are.
const DirectFacts kOpen{};
const DirectFacts kBlocked{.blocked = true};
const DirectFacts kContactsOnly{.recipient_contacts_only = true};
const DirectFacts kContact{.recipient_contacts_only = true, .contacts = true};

SendFacts group(std::optional<std::string> client_id = std::nullopt, bool sent_before = false) {
  return {.sender = "ann",
          .conversation_id = "g",
          .client_id = std::move(client_id),
          .member = true,
          .sent_before = sent_before};
}
SendFacts direct(std::optional<DirectFacts> peer,
                 std::optional<std::string> client_id = std::nullopt, bool sent_before = false) {
  return {.sender = "ann",
          .conversation_id = "d",
          .client_id = std::move(client_id),
          .member = true,
          .direct = true,
          .peer = peer,
          .sent_before = sent_before};
}
SendFacts stranger(std::optional<std::string> client_id = std::nullopt, bool sent_before = false) {
  auto s = group(std::move(client_id), sent_before);
  s.member = false;
  return s;
}

TEST(Sending, OneSend) {
  struct Case {
    SendFacts send;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {group(), "create"},
      {group("k"), "create"},
      {group("k", true), "replay"},
      // A stranger learns nothing: not whether the conversation exists, nor a message by its key.
      {stranger(), "404 no such conversation"},
      {stranger("k", true), "404 no such conversation"},
      {direct(kOpen), "create"},
      {direct(kContact), "create"},
      {direct(kContactsOnly), "403 you cannot message this user"},
      {direct(kBlocked), "403 you cannot message this user"},
      {direct(std::nullopt), "403 the other side of this conversation is gone"},
      // A retry answers with what it made, even where a block since would refuse a new send.
      {direct(kBlocked, "k", true), "replay"},
      {direct(std::nullopt, "k", true), "replay"},
      {direct(kBlocked, "k"), "403 you cannot message this user"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(outcomes({cases[i].send}), std::vector<std::string>{cases[i].expected})
        << "case " << i;
}

TEST(Sending, ABatch) {
  auto from = [](SendFacts s, std::string sender) {
    s.sender = std::move(sender);
    return s;
  };
  auto in = [](SendFacts s, std::string conversation) {
    s.conversation_id = std::move(conversation);
    return s;
  };
  struct Case {
    std::vector<SendFacts> batch;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {{group(), group()}, {"create", "create"}},  // no client_id: two messages
      {{group("k"), group("k")}, {"create", "same as 0"}},
      {{group("k"), group("k"), group("k")}, {"create", "same as 0", "same as 0"}},
      {{group("k"), group("j"), group("k"), group("j")},
       {"create", "create", "same as 0", "same as 1"}},
      // The key is the sender's, in one conversation.
      {{group("k"), from(group("k"), "ben")}, {"create", "create"}},
      {{group("k"), in(group("k"), "h")}, {"create", "create"}},
      // Stored before: every send with the key replays it.
      {{group("k", true), group("k", true)}, {"replay", "replay"}},
      // A refused send creates nothing for a later one with its key to share: each is decided.
      {{direct(kBlocked, "k"), direct(kBlocked, "k")},
       {"403 you cannot message this user", "403 you cannot message this user"}},
      {{stranger("k"), group("k")}, {"404 no such conversation", "create"}},
      {{group("k"), stranger("k")}, {"create", "404 no such conversation"}},
      {{direct(kOpen, "k"), direct(kOpen, "k"), group()}, {"create", "same as 0", "create"}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(outcomes(cases[i].batch), cases[i].expected) << "case " << i;
}

TEST(Sending, NumberingFollowsTheOrderTheyCameAfterWhatEachConversationHad) {
  struct Case {
    std::vector<std::string> conversations;        // of each new message, in order
    std::map<std::string, std::int64_t> last_seq;  // as take_seqs answers: with them counted
    std::map<std::string, std::int64_t> counts;    // what take_seqs is asked to add
    std::vector<std::int64_t> seqs;
  };
  const std::vector<Case> cases = {
      {{"a"}, {{"a", 1}}, {{"a", 1}}, {1}},
      {{"a", "a", "a"}, {{"a", 12}}, {{"a", 3}}, {10, 11, 12}},
      {{"a", "b", "a", "a"}, {{"a", 10}, {"b", 5}}, {{"a", 3}, {"b", 1}}, {8, 5, 9, 10}},
      {{"b", "a", "b"}, {{"a", 1}, {"b", 2}}, {{"a", 1}, {"b", 2}}, {1, 1, 2}},
      {{}, {}, {}, {}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(new_message_counts(cases[i].conversations), cases[i].counts) << "case " << i;
    EXPECT_EQ(number_new_messages(cases[i].conversations, cases[i].last_seq), cases[i].seqs)
        << "case " << i;
  }
}

}  // namespace
}  // namespace parley::messages
