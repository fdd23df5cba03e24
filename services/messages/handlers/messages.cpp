// Messages: history, send (idempotent by client_id), edit, delete, read markers.

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <charconv>

#include "messages_service.hpp"
#include "parley/core/error.hpp"
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

std::vector<std::string> ids_of(const std::vector<Member>& members) {
  std::vector<std::string> out;
  for (const auto& m : members) out.push_back(m.user_id);
  return out;
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
    for (const auto& msg : store::history(tx, c.id, page, has_more)) items.push_back(msg.to_json());
  });
  co_return http::Response::json(200, bj::object{{"items", items}, {"has_more", has_more}});
}

async::Task<http::Response> MessagesService::send_message(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"body", "client_id"});
  std::string text = json::required_string(body, "body");
  check_body(text);
  auto client_id = json::optional_string(body, "client_id");
  if (client_id) check_client_id(*client_id);

  MessageRow message;
  bool created = false;
  co_await db_->write([&](storage::Tx& tx) {
    created = false;  // this may be a second run, after a deadlock
    const std::string& conversation_id = request.param("id");
    auto target = store::send_target(tx, conversation_id);
    if (!target || std::find(target->member_ids.begin(), target->member_ids.end(), me) == target->member_ids.end())
      throw Error::not_found("no such conversation");
    const auto& recipients = target->member_ids;
    if (client_id)
      if (auto earlier = store::by_client_id(tx, conversation_id, me, *client_id)) {  // a retried send
        message = *earlier;
        return;
      }
    if (target->kind == "direct") {
      auto other = std::find_if(recipients.begin(), recipients.end(), [&](const std::string& x) { return x != me; });
      auto facts = other == recipients.end() ? std::nullopt : store::direct_facts(tx, me, *other);
      if (!facts) throw Error::permission_denied("the other side of this conversation is gone");
      if (!may_message_directly(*facts)) throw Error::permission_denied("you cannot message this user");
    }
    message = store::append_message(tx, conversation_id, me, text, client_id, now());
    store::set_read(tx, conversation_id, me, message.seq);  // your own message counts as read
    deliver(tx, recipients, message_event("message.created", message));
    outbox_.add(tx, "message.created", {{"message", message.to_json()}, {"conversation_kind", target->kind},
                                        {"member_ids", bj::value_from(recipients)}});
    created = true;
  });
  co_return http::Response::json(created ? 201 : 200, message.to_json());
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
    std::string t = now();
    store::edit_message(tx, *found, text, t);
    message = *found;
    message.body = text;
    message.edited_at = t;
    deliver(tx, ids_of(store::members(tx, c.id)), message_event("message.updated", message));
    outbox_.add(tx, "message.updated", {{"message", message.to_json()}});
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
    deliver(tx, ids_of(store::members(tx, c.id)), message_event("message.deleted", *found));
    outbox_.add(tx, "message.deleted", {{"message", found->to_json()}, {"deleted_by", me}});
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
    store::set_read(tx, c.id, me, seq);
    bj::object event{{"type", "read.updated"}, {"conversation_id", c.id}, {"conversation", view(tx, c, me)}};
    deliver(tx, {me}, bj::serialize(event));  // the reader's other devices
  });
  co_return http::Response::no_content();
}

}  // namespace parley::messages
