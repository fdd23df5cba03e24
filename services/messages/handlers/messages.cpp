// Messages: history, send (idempotent by client_id), edit, delete, read markers.

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>

#include "messages_service.hpp"
#include "parley/core/error.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/json.hpp"
#include "parley/core/time.hpp"

namespace parley::messages {

namespace bj = boost::json;

namespace {
std::string now() { return time::format_rfc3339(time::now()); }

std::optional<std::int64_t> seq_param(const http::Request& request, const char* name) {
  auto text = request.query_param(name);
  if (!text) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v < 0)
    throw Error::invalid_argument(std::string(name) + " must be a non-negative integer", name);
  return v;
}

std::string message_event(const char* type, const MessageRow& m) {
  return bj::serialize(bj::object{{"type", type}, {"conversation_id", m.conversation_id}, {"message", m.to_json()}});
}
}  // namespace

async::Task<http::Response> MessagesService::list_messages(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  HistoryPage page;
  page.before_seq = seq_param(request, "before_seq");
  page.after_seq = seq_param(request, "after_seq");
  if (page.before_seq && page.after_seq)
    throw Error::invalid_argument("give before_seq or after_seq, not both", "after_seq");
  page.limit = service::list_limit(request);
  bj::array items;
  bool has_more = false;
  co_await db_->read([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    auto found = store::history(tx, c.id, page);
    for (const auto& msg : found.items) items.push_back(msg.to_json());
    has_more = found.more;
  });
  co_return http::Response::json(200, bj::object{{"items", items}, {"has_more", has_more}});
}

namespace {
// The sends of one group-commit batch, done together just before it commits.
class SendBatch final : public storage::BatchWork {
 public:
  explicit SendBatch(MessagesService& service) : service_(service) {}
  void add(MessagesService::PendingSend& send) { sends_.push_back(&send); }
  void run(storage::Tx& tx) override { service_.send_all(tx, sends_); }

 private:
  MessagesService& service_;
  std::vector<MessagesService::PendingSend*> sends_;
};
}  // namespace

async::Task<http::Response> MessagesService::send_message(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"body", "client_id"});
  std::string text = json::required_string(body, "body");
  check_body(text);
  auto client_id = json::optional_string(body, "client_id");
  if (client_id) check_client_id(*client_id);

  PendingSend send{me, request.param("id"), std::move(text), std::move(client_id), {}, false, nullptr};
  co_await db_->write([&](storage::Tx& tx) {
    tx.shared<SendBatch>("messages.send", [this] { return std::make_unique<SendBatch>(*this); }).add(send);
  });
  if (send.error) std::rethrow_exception(send.error);
  co_return http::Response::json(send.created ? 201 : 200, send.message.to_json());
}

void MessagesService::send_all(storage::Tx& tx, const std::vector<PendingSend*>& sends) {
  // This may be a second run of the batch (after a deadlock): results are set afresh.
  for (auto* s : sends) {
    s->created = false;
    s->error = nullptr;
  }
  std::vector<std::string> conversation_ids;
  for (auto* s : sends) conversation_ids.push_back(s->conversation_id);
  std::sort(conversation_ids.begin(), conversation_ids.end());
  conversation_ids.erase(std::unique(conversation_ids.begin(), conversation_ids.end()), conversation_ids.end());
  auto targets = store::send_targets(tx, conversation_ids);

  // Who may send at all: members only; a stranger learns nothing (404).
  std::vector<PendingSend*> live;
  for (auto* s : sends) {
    auto t = targets.find(s->conversation_id);
    if (t == targets.end() ||
        std::find(t->second.member_ids.begin(), t->second.member_ids.end(), s->sender) == t->second.member_ids.end())
      s->error = std::make_exception_ptr(Error::not_found("no such conversation"));
    else
      live.push_back(s);
  }
  // Retried sends (a client_id seen before) answer with the message they made.
  std::vector<store::ClientKey> keys;
  for (auto* s : live)
    if (s->client_id) keys.emplace_back(s->sender, s->conversation_id, *s->client_id);
  auto earlier = keys.empty() ? std::map<store::ClientKey, MessageRow>{} : store::by_client_ids(tx, keys);
  // Direct conversations: blocks and dm_policy, from the replica of the other services' events.
  std::vector<std::pair<std::string, std::string>> pairs;
  auto other_of = [&](const PendingSend& s) -> std::optional<std::string> {
    for (const auto& m : targets.at(s.conversation_id).member_ids)
      if (m != s.sender) return m;
    return std::nullopt;
  };
  for (auto* s : live)
    if (targets.at(s->conversation_id).kind == "direct")
      if (auto other = other_of(*s)) pairs.emplace_back(s->sender, *other);
  auto facts = pairs.empty() ? std::map<std::pair<std::string, std::string>, DirectFacts>{} : store::direct_facts(tx, pairs);

  std::vector<PendingSend*> accepted;
  std::map<store::ClientKey, PendingSend*> first_with_key;  // the same client_id twice in one batch
  std::vector<std::pair<PendingSend*, PendingSend*>> repeats;
  for (auto* s : live) {
    if (s->client_id) {
      store::ClientKey key{s->sender, s->conversation_id, *s->client_id};
      if (auto e = earlier.find(key); e != earlier.end()) {
        s->message = e->second;
        continue;
      }
      if (auto f = first_with_key.find(key); f != first_with_key.end()) {
        repeats.emplace_back(s, f->second);
        continue;
      }
    }
    if (targets.at(s->conversation_id).kind == "direct") {
      auto other = other_of(*s);
      auto f = other ? facts.find({s->sender, *other}) : facts.end();
      if (f == facts.end()) {
        s->error = std::make_exception_ptr(Error::permission_denied("the other side of this conversation is gone"));
        continue;
      }
      if (!may_message_directly(f->second)) {
        s->error = std::make_exception_ptr(Error::permission_denied("you cannot message this user"));
        continue;
      }
    }
    if (s->client_id) first_with_key.emplace(store::ClientKey{s->sender, s->conversation_id, *s->client_id}, s);
    accepted.push_back(s);
  }

  if (!accepted.empty()) {
    // Each conversation's seqs in one statement; its messages numbered in the order they came.
    std::map<std::string, std::int64_t> counts;
    for (auto* s : accepted) ++counts[s->conversation_id];
    std::string at = now();
    auto last = store::take_seqs(tx, counts, at);
    std::map<std::string, std::int64_t> next;
    for (const auto& [id, n] : counts) next[id] = last.at(id) - n + 1;
    std::vector<MessageRow> rows;
    std::map<std::pair<std::string, std::string>, std::int64_t> read;  // your own message counts as read
    for (auto* s : accepted) {
      s->message = MessageRow{ids::uuid_v7(), s->conversation_id, next[s->conversation_id]++, s->sender, s->body,
                              s->client_id, at, std::nullopt, false};
      s->created = true;
      rows.push_back(s->message);
      auto& r = read[{s->conversation_id, s->sender}];
      r = std::max(r, s->message.seq);
    }
    try {
      store::insert_messages(tx, rows);
    } catch (const storage::ConstraintViolation&) {
      // Another replica stored one of these client_ids meanwhile: run the batch again, and the
      // retry finds it.
      throw storage::TransactionAborted("a retried send committed elsewhere meanwhile");
    }
    std::vector<Outgoing> sync_events;
    std::vector<events::MessageCreated> created;
    std::map<std::string, Audience> audiences;  // each conversation's members as read above
    for (auto* s : accepted) {
      const auto& target = targets.at(s->conversation_id);
      auto& audience = audiences[s->conversation_id];
      if (!audience) audience = std::make_shared<const std::vector<std::string>>(target.member_ids);
      sync_events.push_back(Outgoing{s->conversation_id, {},
                                     std::make_shared<const std::string>(message_event("message.created", s->message)),
                                     audience});
      created.push_back(events::MessageCreated{.message_id = s->message.id,
                                               .conversation_id = s->conversation_id,
                                               .conversation_kind = target.kind,
                                               .seq = s->message.seq,
                                               .sender_id = s->sender,
                                               .body = s->body,
                                               .created_at = s->message.created_at,
                                               .member_ids = target.member_ids});
    }
    outbox_.add_all(tx, created);
    // On MySQL the sync log's clock row stays locked from here to the commit: as late as
    // possible, and before the members rows are written (every writer takes the clock first).
    deliver(tx, std::move(sync_events));
    std::vector<std::tuple<std::string, std::string, std::int64_t>> markers;
    for (const auto& [key, seq] : read) markers.emplace_back(key.first, key.second, seq);
    store::raise_read_markers(tx, markers);
  }
  for (auto [repeat, first] : repeats) {
    repeat->message = first->message;
    repeat->error = first->error;
  }
}

async::Task<http::Response> MessagesService::edit_message(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"body"});
  std::string text = json::required_string(body, "body");
  check_body(text);
  MessageRow message;
  co_await db_->write([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    auto found = store::message(tx, c.id, request.param("message_id"));
    if (!found) throw Error::not_found("no such message");
    if (found->sender_id != me) throw Error::permission_denied("only the sender may edit a message");
    if (found->deleted) throw Error::conflict("conflict", "the message was deleted");
    if (c.kind == "direct") {  // an edit writes to the other side as a message does
      std::optional<DirectFacts> facts;
      for (const auto& other : store::members(tx, c.id))
        if (other.user_id != me) facts = store::direct_facts(tx, me, other.user_id);
      if (!facts) throw Error::permission_denied("the other side of this conversation is gone");
      if (!may_message_directly(*facts)) throw Error::permission_denied("you cannot message this user");
    }
    std::string t = now();
    store::edit_message(tx, *found, text, t);
    message = *found;
    message.body = text;
    message.edited_at = t;
    deliver_to_members(tx, c.id, message_event("message.updated", message));
    outbox_.add(tx, events::MessageUpdated{.message_id = message.id,
                                           .conversation_id = message.conversation_id,
                                           .seq = message.seq,
                                           .sender_id = message.sender_id,
                                           .body = text,
                                           .created_at = message.created_at,
                                           .edited_at = t});
  });
  co_return http::Response::json(200, message.to_json());
}

async::Task<http::Response> MessagesService::delete_message(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  co_await db_->write([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    auto found = store::message(tx, c.id, request.param("message_id"));
    if (!found) throw Error::not_found("no such message");
    if (!may_delete_message(found->sender_id == me, c.kind == "group", m.role))
      throw Error::permission_denied("you may not delete this message");
    if (found->deleted) return;  // already a tombstone
    store::tombstone(tx, found->id);
    found->deleted = true;
    found->body.reset();
    deliver_to_members(tx, c.id, message_event("message.deleted", *found));
    outbox_.add(tx, events::MessageDeleted{.message_id = found->id,
                                           .conversation_id = found->conversation_id,
                                           .seq = found->seq,
                                           .sender_id = found->sender_id,
                                           .created_at = found->created_at,
                                           .deleted_by = me});
  });
  co_return http::Response::no_content();
}

async::Task<http::Response> MessagesService::mark_read(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"seq"});
  std::int64_t seq = json::required_int(body, "seq");
  if (seq < 0) throw Error::invalid_argument("seq must not be negative", "seq");
  co_await db_->write([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    if (seq > c.last_seq) throw Error::invalid_argument("seq is beyond the last message", "seq");
    if (seq <= m.read_seq) return;  // markers only move forward
    store::lock_sync_head(tx);  // the clock before the members row, as every writer takes them
    store::set_read(tx, c.id, me, seq);
    bj::object event{{"type", "read.updated"}, {"conversation_id", c.id}, {"conversation", view(tx, c, me)}};
    deliver_to(tx, {me}, bj::serialize(event));  // the reader's other devices
  });
  co_return http::Response::no_content();
}

}  // namespace parley::messages
