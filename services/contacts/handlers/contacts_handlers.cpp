#include "handlers/contacts_handlers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

#include "domain/rules.hpp"
#include "parley/core/error.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/json.hpp"
#include "parley/core/text.hpp"
#include "parley/core/time.hpp"

namespace parley::contacts {

namespace bj = boost::json;

namespace {

std::string now() { return time::format_rfc3339(time::now()); }

// Loads a request for an action by user, checking who may do what; throws 404/403.
RequestRow load_for(storage::Tx& tx, const std::string& id, const std::string& user, RequestAction action) {
  auto row = store::request(tx, id);
  if (!row) throw Error::not_found("no such request");
  check_request_action(action, role_in_request(user, row->from_user, row->to_user), row->hidden);
  return *row;
}

// Where GET /internal/v1/users/{user_id}/contacts stands in each of its lists: the position the
// next page starts after ("" for the start), or nullopt once that list is done. The cursor is the
// four positions as a JSON array.
enum RelationList { kContacts, kBlocks, kIncoming, kOutgoing };
using RelationsPosition = std::array<std::optional<std::string>, 4>;

RelationsPosition decode_relations_cursor(const http::Request& request) {
  RelationsPosition at{"", "", "", ""};
  std::string text = service::decode_cursor(request);
  if (text.empty()) return at;
  auto invalid = [] { return Error::invalid_argument("cursor is not valid", "cursor"); };
  boost::system::error_code ec;
  bj::value parsed = bj::parse(text, ec);
  if (ec || !parsed.is_array() || parsed.as_array().size() != at.size()) throw invalid();
  for (std::size_t i = 0; i < at.size(); ++i) {
    const bj::value& v = parsed.as_array()[i];
    if (v.is_null()) at[i].reset();
    else if (v.is_string() && v.as_string().size() <= 64) at[i] = std::string(v.as_string());
    else throw invalid();
  }
  return at;
}

std::string encode_relations_cursor(const RelationsPosition& at) {
  bj::array positions;
  for (const auto& p : at) positions.push_back(p ? bj::value(*p) : bj::value(nullptr));
  return service::encode_cursor(bj::serialize(positions));
}

// One list's page of an internal listing, read after position; position moves to the last item
// returned, or to nullopt when nothing is left.
template <class Item, class Key>
bj::array take_page(const storage::Page<Item>& found, std::optional<std::string>& position, Key key) {
  bj::array items;
  if (!position) return items;
  for (const auto& item : found.items) items.push_back(item.to_json());
  position = found.more ? std::optional<std::string>(key(found.items.back())) : std::nullopt;
  return items;
}

}  // namespace

ContactsHandlers::ContactsHandlers(service::Context& ctx, storage::Database& db, events::Outbox& outbox)
    : ctx_(ctx), db_(db), outbox_(outbox) {}

async::Task<http::Response> ContactsHandlers::send_request(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"username", "user_id"});
  auto username = json::optional_string(body, "username");
  auto user_id = json::optional_string(body, "user_id");
  if (username.has_value() == user_id.has_value())
    throw Error::invalid_argument("give exactly one of username or user_id", username ? "user_id" : "username");

  std::optional<RequestView> view;
  co_await db_.write([&](storage::Tx& tx) {
    if (!store::person(tx, me)) throw Error::unauthenticated("account no longer exists");
    auto target = user_id ? store::person(tx, *user_id) : store::person_by_username(tx, text::ascii_lower(*username));
    Relationship r;
    r.target_exists = target.has_value();
    if (target) {
      r.self = target->id == me;
      r.contacts = store::are_contacts(tx, me, target->id);
      r.pending_from_caller = store::pending_request(tx, me, target->id).has_value();
      r.caller_blocked_target = store::is_blocked(tx, me, target->id);
      r.target_blocked_caller = store::is_blocked(tx, target->id, me);
    }
    bool hidden = decide_new_request(r) == NewRequest::hidden;
    RequestRow row{ids::uuid_v7(), me, target->id, "pending", hidden, now()};
    store::insert_request(tx, row);
    if (!hidden)
      outbox_.add(tx, events::ContactRequested{.request_id = row.id,
                                               .from_user_id = me,
                                               .to_user_id = row.to_user,
                                               .created_at = row.created_at});
    view = store::request_view(tx, row.id);
  });
  co_return http::Response::json(201, view->to_json());
}

async::Task<http::Response> ContactsHandlers::list_requests(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  std::string direction = request.query_param("direction").value_or("incoming");
  if (direction != "incoming" && direction != "outgoing")
    throw Error::invalid_argument("direction must be 'incoming' or 'outgoing'", "direction");
  int limit = service::list_limit(request);
  std::string before = service::decode_cursor(request);
  storage::Page<RequestView> found;
  co_await db_.read([&](storage::Tx& tx) {
    found = storage::page_of(store::list_pending(tx, me, direction == "incoming", before, storage::rows_for_page(limit)),
                             limit);
  });
  co_return http::Response::json(200, service::list_json(found, [](const RequestView& v) { return v.to_json(); },
                                                          [](const RequestView& v) { return v.row.id; }));
}

async::Task<http::Response> ContactsHandlers::accept_request(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  std::optional<Entry> contact;
  co_await db_.write([&](storage::Tx& tx) {
    contact.reset();  // this may be a second run, after a deadlock
    RequestRow row = load_for(tx, request.param("id"), me, RequestAction::accept);
    auto sender = store::person(tx, row.from_user);
    if (!sender) throw Error::not_found("no such request");
    if (row.status == "accepted") {  // accepted before (perhaps from the other side): idempotent
      if (auto since = store::contact_since(tx, me, row.from_user)) contact = Entry{*sender, *since};
      return;
    }
    if (row.status != "pending" || store::is_blocked(tx, me, row.from_user) || store::is_blocked(tx, row.from_user, me))
      return;
    std::string since = now();
    store::add_contact(tx, row.from_user, me, since);
    store::close_pending_between(tx, row.from_user, me, "accepted", since);
    outbox_.add(tx, events::ContactAccepted{.request_id = row.id,
                                            .from_user_id = row.from_user,
                                            .to_user_id = me,
                                            .since = since});
    contact = Entry{*sender, since};
  });
  if (!contact) throw Error::not_found("no such request");
  co_return http::Response::json(200, contact->to_json());
}

async::Task<http::Response> ContactsHandlers::decline_request(http::Request& request) {
  co_return co_await close_request(request, RequestAction::decline, "declined");
}

async::Task<http::Response> ContactsHandlers::cancel_request(http::Request& request) {
  co_return co_await close_request(request, RequestAction::cancel, "cancelled");
}

async::Task<http::Response> ContactsHandlers::close_request(http::Request& request, RequestAction action,
                                                           std::string status) {
  auto me = ctx_.verifier.authenticate(request).sub;
  bool done = false;
  co_await db_.write([&](storage::Tx& tx) {
    done = false;  // this may be a second run, after a deadlock
    RequestRow row = load_for(tx, request.param("id"), me, action);
    if (row.status != "pending") return;
    store::set_status(tx, row.id, status, now());
    done = true;
  });
  if (!done) throw Error::not_found("no such request");
  co_return http::Response::no_content();
}

async::Task<http::Response> ContactsHandlers::list_contacts(http::Request& request) {
  co_return co_await list_entries(request, store::list_contacts);
}

async::Task<http::Response> ContactsHandlers::remove_contact(http::Request& request) {
  co_return co_await undo_relation(request, "not a contact", [this](storage::Tx& tx, const std::string& me,
                                                                    const std::string& other) {
    bool removed = store::remove_contact(tx, me, other);
    if (removed)
      outbox_.add(tx, events::ContactRemoved{.user_id = me, .contact_id = other, .reason = "removed"});
    return removed;
  });
}

async::Task<http::Response> ContactsHandlers::list_blocks(http::Request& request) {
  co_return co_await list_entries(request, store::list_blocks);
}

async::Task<http::Response> ContactsHandlers::list_entries(http::Request& request, ListEntries list) {
  auto me = ctx_.verifier.authenticate(request).sub;
  int limit = service::list_limit(request);
  std::string after = service::decode_cursor(request);
  storage::Page<Entry> found;
  co_await db_.read([&](storage::Tx& tx) {
    found = storage::page_of(list(tx, me, after, storage::rows_for_page(limit)), limit);
  });
  co_return http::Response::json(200, service::list_json(found, [](const Entry& e) { return e.to_json(); },
                                                          [](const Entry& e) { return e.user.username; }));
}

async::Task<http::Response> ContactsHandlers::block(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  const std::string& other = request.param("user_id");
  if (other == me) throw Error::invalid_argument("you cannot block yourself", "user_id");
  co_await db_.write([&](storage::Tx& tx) {
    if (!store::person(tx, other)) throw Error::not_found("no such user");
    std::string since = now();
    if (!store::add_block(tx, me, other, since)) return;  // already blocked
    if (store::remove_contact(tx, me, other))
      outbox_.add(tx, events::ContactRemoved{.user_id = me, .contact_id = other, .reason = "blocked"});
    store::cancel_pending(tx, me, other, since);  // the blocker's own requests go away
    store::hide_pending(tx, other, me);           // theirs stay pending in their view, unseen here
    outbox_.add(tx, events::BlockAdded{.blocker_id = me, .blocked_id = other});
  });
  co_await service::publish_now(ctx_, outbox_);
  co_return http::Response::no_content();
}

async::Task<http::Response> ContactsHandlers::unblock(http::Request& request) {
  co_return co_await undo_relation(request, "not blocked", [this](storage::Tx& tx, const std::string& me,
                                                                  const std::string& other) {
    if (!store::remove_block(tx, me, other)) return false;
    // What they asked while blocked was never delivered and never will be (as Signal and WhatsApp
    // drop what a blocked person sent): it goes, so that they can ask again and be seen.
    store::drop_hidden(tx, other, me, now());
    outbox_.add(tx, events::BlockRemoved{.blocker_id = me, .blocked_id = other});
    return true;
  });
}

async::Task<http::Response> ContactsHandlers::undo_relation(http::Request& request, std::string not_found,
                                                           Undo undo) {
  auto me = ctx_.verifier.authenticate(request).sub;
  const std::string& other = request.param("user_id");
  bool undone = false;
  co_await db_.write([&](storage::Tx& tx) { undone = undo(tx, me, other); });
  if (!undone) throw Error::not_found(not_found);
  co_await service::publish_now(ctx_, outbox_);
  co_return http::Response::no_content();
}

async::Task<http::Response> ContactsHandlers::internal_relations(http::Request& request) {
  const std::string& user = request.param("user_id");
  int limit = service::list_limit(request);
  RelationsPosition at = decode_relations_cursor(request);
  bool known = false;
  storage::Page<Entry> contacts, blocks;
  storage::Page<RequestView> incoming, outgoing;
  const auto rows = storage::rows_for_page(limit);
  co_await db_.read([&](storage::Tx& tx) {
    known = store::person(tx, user).has_value();
    if (!known) return;
    if (at[kContacts]) contacts = storage::page_of(store::list_contacts(tx, user, *at[kContacts], rows), limit);
    if (at[kBlocks]) blocks = storage::page_of(store::list_blocks(tx, user, *at[kBlocks], rows), limit);
    if (at[kIncoming]) incoming = storage::page_of(store::list_pending(tx, user, true, *at[kIncoming], rows), limit);
    if (at[kOutgoing]) outgoing = storage::page_of(store::list_pending(tx, user, false, *at[kOutgoing], rows), limit);
  });
  if (!known) throw Error::not_found("no such user");
  auto by_username = [](const Entry& e) { return e.user.username; };
  auto by_id = [](const RequestView& v) { return v.row.id; };
  bj::object out;
  out["contacts"] = take_page(contacts, at[kContacts], by_username);
  out["blocks"] = take_page(blocks, at[kBlocks], by_username);
  out["incoming_requests"] = take_page(incoming, at[kIncoming], by_id);
  out["outgoing_requests"] = take_page(outgoing, at[kOutgoing], by_id);
  bool done = std::none_of(at.begin(), at.end(), [](const auto& p) { return p.has_value(); });
  out["next_cursor"] = done ? bj::value(nullptr) : bj::value(encode_relations_cursor(at));
  co_return http::Response::json(200, out);
}

}  // namespace parley::contacts
