// Messages: history, send (idempotent by client_id), edit, delete, read markers.

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>

#include "domain/sending.hpp"
#include "handlers/messages.hpp"
#include "handlers/views.hpp"
#include "parley/core/error.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/json.hpp"
#include "parley/core/time.hpp"
#include "parley/service/service.hpp"
#include "store/conversations.hpp"
#include "store/people.hpp"
#include "sync/sync.hpp"

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

MessageHandlers::MessageHandlers(token::Verifier& verifier, storage::Database& db, events::Outbox& outbox, Sync& sync)
    : verifier_(verifier), db_(db), outbox_(outbox), sync_(sync) {}

async::Task<http::Response> MessageHandlers::list_messages(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  HistoryPage page;
  page.before_seq = seq_param(request, "before_seq");
  page.after_seq = seq_param(request, "after_seq");
  if (page.before_seq && page.after_seq)
    throw Error::invalid_argument("give before_seq or after_seq, not both", "after_seq");
  page.limit = service::list_limit(request);
  bj::array items;
  bool has_more = false;
  co_await db_.read([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    auto found = store::history(tx, c.id, page);
    for (const auto& msg : found.items) items.push_back(msg.to_json());
    has_more = found.more;
  });
  co_return http::Response::json(200, bj::object{{"items", items}, {"has_more", has_more}});
}

class MessageHandlers::SendBatch final : public storage::BatchWork {
 public:
  explicit SendBatch(MessageHandlers& handlers) : handlers_(handlers) {}
  void add(const SendRequest& request, SendResult& result) {
    requests_.push_back(&request);
    results_.push_back(&result);
  }
  // Every run (the batch runs again after a deadlock) gives every send its result anew.
  void run(storage::Tx& tx) override {
    auto results = handlers_.send_all(tx, requests_);
    for (std::size_t i = 0; i < results.size(); ++i) *results_[i] = std::move(results[i]);
  }

 private:
  MessageHandlers& handlers_;
  std::vector<const SendRequest*> requests_;
  std::vector<SendResult*> results_;
};

async::Task<http::Response> MessageHandlers::send_message(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"body", "client_id"});
  std::string text = json::required_string(body, "body");
  check_body(text);
  auto client_id = json::optional_string(body, "client_id");
  if (client_id) check_client_id(*client_id);

  SendRequest send{me, request.param("id"), std::move(text), std::move(client_id)};
  SendResult result;
  co_await db_.write([&](storage::Tx& tx) {
    tx.shared<SendBatch>("messages.send", [this] { return std::make_unique<SendBatch>(*this); }).add(send, result);
  });
  if (result.error) std::rethrow_exception(result.error);
  co_return http::Response::json(result.created ? 201 : 200, result.message.to_json());
}

std::vector<MessageHandlers::SendResult> MessageHandlers::send_all(storage::Tx& tx,
                                                                   const std::vector<const SendRequest*>& sends) {
  // The facts, in a few statements for the whole batch. Who is a member of what:
  std::vector<std::string> conversation_ids;
  for (auto* s : sends) conversation_ids.push_back(s->conversation_id);
  std::sort(conversation_ids.begin(), conversation_ids.end());
  conversation_ids.erase(std::unique(conversation_ids.begin(), conversation_ids.end()), conversation_ids.end());
  auto targets = store::send_targets(tx, conversation_ids);
  std::vector<SendFacts> facts;
  facts.reserve(sends.size());
  for (auto* s : sends) {
    auto t = targets.find(s->conversation_id);
    bool member = t != targets.end() && std::find(t->second.member_ids.begin(), t->second.member_ids.end(),
                                                  s->sender) != t->second.member_ids.end();
    facts.push_back(SendFacts{.sender = s->sender,
                              .conversation_id = s->conversation_id,
                              .client_id = s->client_id,
                              .member = member,
                              .direct = member && t->second.kind == "direct"});
  }
  // Retried sends (a client_id seen before): the messages they made.
  std::vector<store::ClientKey> keys;
  for (const auto& f : facts)
    if (f.member && f.client_id) keys.emplace_back(f.sender, f.conversation_id, *f.client_id);
  auto earlier = keys.empty() ? std::map<store::ClientKey, MessageRow>{} : store::by_client_ids(tx, keys);
  // Direct conversations: blocks and dm_policy, from the replica of the other services' events.
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::optional<std::string>> peer(sends.size());  // the other member of a direct conversation
  for (std::size_t i = 0; i < facts.size(); ++i) {
    if (!facts[i].direct) continue;
    for (const auto& m : targets.at(facts[i].conversation_id).member_ids)
      if (m != facts[i].sender) {
        peer[i] = m;
        pairs.emplace_back(facts[i].sender, m);
        break;
      }
  }
  auto direct = pairs.empty() ? std::map<std::pair<std::string, std::string>, DirectFacts>{}
                              : store::direct_facts(tx, pairs);
  for (std::size_t i = 0; i < facts.size(); ++i) {
    auto& f = facts[i];
    if (f.member && f.client_id) f.sent_before = earlier.count({f.sender, f.conversation_id, *f.client_id}) > 0;
    if (peer[i])
      if (auto d = direct.find({f.sender, *peer[i]}); d != direct.end()) f.peer = d->second;
  }

  auto decisions = decide_sends(facts);

  std::vector<SendResult> results(sends.size());
  std::vector<SendResult*> accepted;  // those that create, in the order they came
  std::vector<std::string> new_in;    // the conversation of each
  for (std::size_t i = 0; i < sends.size(); ++i) {
    const auto& d = decisions[i];
    if (d.outcome == SendDecision::Outcome::refuse) {
      results[i].error = std::make_exception_ptr(refusal_error(d.refusal));
    } else if (d.outcome == SendDecision::Outcome::replay) {
      results[i].message = earlier.at({sends[i]->sender, sends[i]->conversation_id, *sends[i]->client_id});
    } else if (d.outcome == SendDecision::Outcome::create) {
      accepted.push_back(&results[i]);
      new_in.push_back(sends[i]->conversation_id);
    }
  }
  if (!accepted.empty()) {
    // Each conversation's seqs in one statement; its messages numbered in the order they came.
    std::string at = now();
    auto seqs = number_new_messages(new_in, store::take_seqs(tx, new_message_counts(new_in), at));
    std::vector<MessageRow> rows;
    std::map<std::pair<std::string, std::string>, std::int64_t> read;  // your own message counts as read
    for (std::size_t i = 0, k = 0; i < sends.size(); ++i) {
      if (decisions[i].outcome != SendDecision::Outcome::create) continue;
      const SendRequest& r = *sends[i];
      SendResult* s = accepted[k];
      s->message = MessageRow{ids::uuid_v7(), r.conversation_id, seqs[k++], r.sender, r.body, r.client_id,
                              at, std::nullopt, false};
      s->created = true;
      rows.push_back(s->message);
      auto& marker = read[{r.conversation_id, r.sender}];
      marker = std::max(marker, s->message.seq);
    }
    try {
      store::insert_messages(tx, rows);
    } catch (const storage::ConstraintViolation&) {
      // Another replica stored one of these client_ids meanwhile: run the batch again, and the
      // retry finds it.
      throw storage::TransactionAborted("a retried send committed elsewhere meanwhile");
    }
    std::vector<Sync::Outgoing> sync_events;
    std::vector<events::MessageCreated> created;
    std::map<std::string, Sync::Audience> audiences;  // each conversation's members as read above
    for (auto* s : accepted) {
      const auto& target = targets.at(s->message.conversation_id);
      auto& audience = audiences[s->message.conversation_id];
      if (!audience) audience = std::make_shared<const std::vector<std::string>>(target.member_ids);
      sync_events.push_back(Sync::Outgoing{s->message.conversation_id, {},
                                           std::make_shared<const std::string>(message_event("message.created", s->message)),
                                           audience});
      created.push_back(events::MessageCreated{.message_id = s->message.id,
                                               .conversation_id = s->message.conversation_id,
                                               .conversation_kind = target.kind,
                                               .seq = s->message.seq,
                                               .sender_id = s->message.sender_id,
                                               .body = *s->message.body,
                                               .created_at = s->message.created_at,
                                               .member_ids = target.member_ids});
    }
    outbox_.add_all(tx, created);
    // On MySQL the sync log's clock row stays locked from here to the commit: as late as
    // possible. The read markers (members rows) come after it, with its proof.
    auto clock = sync_.deliver(tx, std::move(sync_events));
    std::vector<std::tuple<std::string, std::string, std::int64_t>> markers;
    for (const auto& [key, seq] : read) markers.emplace_back(key.first, key.second, seq);
    store::raise_read_markers(tx, markers, clock.value());
  }
  // A send with the client_id of an earlier one in the batch is its retry: the same message, 200.
  for (std::size_t i = 0; i < sends.size(); ++i)
    if (decisions[i].outcome == SendDecision::Outcome::same_as) {
      const SendResult& first = results[decisions[i].same_as];
      results[i].message = first.message;
      results[i].error = first.error;
    }
  return results;
}

async::Task<http::Response> MessageHandlers::edit_message(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"body"});
  std::string text = json::required_string(body, "body");
  check_body(text);
  auto message = co_await db_.write_returning([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    auto found = store::message(tx, c.id, request.param("message_id"));
    if (!found) throw Error::not_found("no such message");
    if (found->sender_id != me) throw Error::permission_denied("only the sender may edit a message");
    if (found->deleted) throw Error::conflict("conflict", "the message was deleted");
    if (c.kind == "direct") {  // an edit writes to the other side as a message does
      std::optional<DirectFacts> facts;
      for (const auto& other : store::members(tx, c.id))
        if (other.user_id != me) facts = store::direct_facts(tx, me, other.user_id);
      if (auto refusal = direct_refusal(facts)) throw refusal_error(*refusal);
    }
    std::string t = now();
    store::edit_message(tx, *found, text, t);
    MessageRow message = *found;
    message.body = text;
    message.edited_at = t;
    sync_.deliver_to_members(tx, c.id, message_event("message.updated", message));
    outbox_.add(tx, events::MessageUpdated{.message_id = message.id,
                                           .conversation_id = message.conversation_id,
                                           .seq = message.seq,
                                           .sender_id = message.sender_id,
                                           .body = text,
                                           .created_at = message.created_at,
                                           .edited_at = t});
    return message;
  });
  co_return http::Response::json(200, message.to_json());
}

async::Task<http::Response> MessageHandlers::delete_message(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  co_await db_.write([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    auto found = store::message(tx, c.id, request.param("message_id"));
    if (!found) throw Error::not_found("no such message");
    if (!may_delete_message(found->sender_id == me, c.kind == "group", m.role))
      throw Error::permission_denied("you may not delete this message");
    if (found->deleted) return;  // already a tombstone
    store::tombstone(tx, found->id);
    found->deleted = true;
    found->body.reset();
    sync_.deliver_to_members(tx, c.id, message_event("message.deleted", *found));
    outbox_.add(tx, events::MessageDeleted{.message_id = found->id,
                                           .conversation_id = found->conversation_id,
                                           .seq = found->seq,
                                           .sender_id = found->sender_id,
                                           .created_at = found->created_at,
                                           .deleted_by = me});
  });
  co_return http::Response::no_content();
}

async::Task<http::Response> MessageHandlers::mark_read(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"seq"});
  std::int64_t seq = json::required_int(body, "seq");
  if (seq < 0) throw Error::invalid_argument("seq must not be negative", "seq");
  co_await db_.write([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    if (seq > c.last_seq) throw Error::invalid_argument("seq is beyond the last message", "seq");
    if (seq <= m.read_seq) return;  // markers only move forward
    auto clock = store::lock_sync_head(tx);
    store::set_read(tx, c.id, me, seq, clock);
    bj::object event{{"type", "read.updated"}, {"conversation_id", c.id}, {"conversation", view(tx, c, me)}};
    sync_.deliver_to(tx, {me}, bj::serialize(event));  // the reader's other devices
  });
  co_return http::Response::no_content();
}

}  // namespace parley::messages
