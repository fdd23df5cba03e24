#include "handlers/views.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <stdexcept>

#include "parley/core/error.hpp"
#include "store/messages.hpp"
#include "sync/sync.hpp"

namespace parley::messages {

namespace bj = boost::json;

namespace {
// A conversation as API.md shows it, but for the viewer's unread count (last, so that the
// serialized text ends in it: deliver_conversation relies on that).
bj::object conversation_json(storage::Tx& tx, const ConversationRow& c,
                             const std::vector<Member>& members, std::int64_t unread_count) {
  bj::array list;
  list.reserve(members.size());
  for (const auto& m : members)
    list.push_back(bj::object{{"user_id", m.user_id}, {"role", role_name(m.role)}});
  bj::value last = nullptr;
  if (c.last_seq > 0)
    if (auto m = store::message_by_seq(tx, c.id, c.last_seq)) last = m->to_json();
  return bj::object{{"id", c.id},
                    {"kind", c.kind},
                    {"title", c.title ? bj::value(*c.title) : bj::value(nullptr)},
                    {"members", std::move(list)},
                    {"created_at", c.created_at},
                    {"last_message", std::move(last)},
                    {"unread_count", unread_count}};
}
}  // namespace

bj::object view(storage::Tx& tx, const ConversationRow& c, const std::string& viewer) {
  auto members = store::members(tx, c.id);
  std::int64_t read_seq = -1;
  for (const auto& m : members)
    if (m.user_id == viewer) read_seq = m.read_seq;
  return conversation_json(tx, c, members,
                           read_seq < 0 ? 0 : store::unread(tx, c.id, viewer, read_seq));
}

std::pair<ConversationRow, Member> membership(storage::Tx& tx, const std::string& conversation_id,
                                              const std::string& user_id) {
  auto c = store::conversation(tx, conversation_id);
  auto m = c ? store::member(tx, conversation_id, user_id) : std::nullopt;
  if (!m) throw Error::not_found("no such conversation");
  return {*c, *m};
}

void deliver_conversation(storage::Tx& tx, Sync& sync, const ConversationRow& c,
                          const std::string& type, const std::vector<std::string>& extra_users,
                          bj::object fields) {
  // Each user's own view of the conversation: the same but for their unread count. The members
  // and the last message are read once and the event serialized once (a group of 1,000 used to
  // read its member list 1,000 times for one rename); only the count differs per user.
  auto current = store::conversation(tx, c.id).value_or(c);
  auto members = store::members(tx, c.id);
  bj::object event = std::move(fields);
  event["type"] = type;
  event["conversation_id"] = c.id;
  // unread_count last in the conversation, the conversation last in the event: the serialized
  // text ends in `"unread_count":0}}`, and each user's count replaces that 0.
  event["conversation"] = conversation_json(tx, current, members, 0);
  std::string text = bj::serialize(event);
  constexpr std::string_view kTail = "\"unread_count\":0}}";
  if (!text.ends_with(kTail)) throw std::logic_error("conversation event: unexpected layout");
  if (type == "conversation.created") {
    // Nothing is unread yet: every member's view is the same, stored once for all of them.
    sync.deliver_to_members(tx, c.id, text);
    return;
  }
  // The log stores the text once (head and tail) and each member's count beside it.
  auto body = std::make_shared<const store::SharedBody>(
      store::SharedBody{text.substr(0, text.size() - 3), "}}"});
  auto counts = store::unread_counts(tx, c.id);
  std::vector<std::pair<std::string, std::int64_t>> fills;
  fills.reserve(members.size() + extra_users.size());
  for (const auto& m : members) {
    auto n = counts.find(m.user_id);
    fills.emplace_back(m.user_id, n == counts.end() ? 0 : n->second);
  }
  for (const auto& u : extra_users) fills.emplace_back(u, 0);  // no longer a member: nothing unread
  sync.deliver_filled(tx, std::move(body), fills);
}

}  // namespace parley::messages
