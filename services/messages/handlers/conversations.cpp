// Conversations: direct and group, members, roles, invite codes.

#include <boost/json/serialize.hpp>

#include <set>

#include "handlers/conversations.hpp"
#include "handlers/views.hpp"
#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/json.hpp"
#include "parley/core/time.hpp"
#include "parley/service/service.hpp"
#include "store/people.hpp"
#include "sync/sync.hpp"

namespace parley::messages {

namespace {
// Each write checks first that what it inserts is not there yet; with replicas another one may
// insert it between that check and this insert (both sides of a pair opening their direct
// conversation at once, a join sent twice). The unique key refuses the second: the batch runs
// again, and its check then finds the row (200, or 409 where that is the answer).
template <class F>
void taken_meanwhile_retries(F&& insert) {
  try {
    insert();
  } catch (const storage::ConstraintViolation&) {
    throw storage::TransactionAborted("inserted by another replica meanwhile");
  }
}
}  // namespace

namespace bj = boost::json;

namespace {
std::string now() { return time::format_rfc3339(time::now()); }
}  // namespace

ConversationHandlers::ConversationHandlers(token::Verifier& verifier, storage::Database& db, events::Outbox& outbox,
                                           Sync& sync, std::chrono::hours invite_ttl)
    : verifier_(verifier), db_(db), outbox_(outbox), sync_(sync), invite_ttl_(invite_ttl) {}

async::Task<http::Response> ConversationHandlers::create_conversation(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  auto body = request.json_body();
  std::string kind = json::required_string(body, "kind");
  struct Answer {
    int status;
    bj::object conversation;
  };
  Answer answer;
  if (kind == "direct") {
    json::reject_unknown_fields(body, {"kind", "user_id"});
    std::string other = json::required_string(body, "user_id");
    if (other == me) throw Error::invalid_argument("you cannot start a direct conversation with yourself", "user_id");
    answer = co_await db_.write_returning([&](storage::Tx& tx) {
      auto facts = store::direct_facts(tx, me, other);
      if (!facts) throw Error::not_found("no such user");
      if (auto existing = store::direct_between(tx, me, other))  // one per pair, from either side
        return Answer{200, view(tx, *store::conversation(tx, *existing), me)};
      if (!may_message_directly(*facts)) throw Error::permission_denied("you cannot message this user");
      std::string t = now();
      ConversationRow c{ids::uuid_v7(), "direct", std::nullopt, t, 0, t};
      auto [a, b] = me < other ? std::pair{me, other} : std::pair{other, me};
      taken_meanwhile_retries([&] { store::insert_conversation(tx, c, a + ":" + b); });
      auto clock = store::lock_sync_head(tx);
      store::add_member(tx, c.id, me, Role::member, t, clock);
      store::add_member(tx, c.id, other, Role::member, t, clock);
      deliver_conversation(tx, sync_, c, "conversation.created", {});
      outbox_.add(tx, events::ConversationCreated{
                          .conversation_id = c.id, .kind = "direct", .title = std::nullopt, .created_by = me, .member_ids = {me, other}});
      return Answer{201, view(tx, c, me)};
    });
  } else if (kind == "group") {
    json::reject_unknown_fields(body, {"kind", "title", "member_ids"});
    std::string title = normalize_title(json::required_string(body, "title"));
    std::vector<std::string> invited;  // in the order the request names them, once each
    std::set<std::string> seen;
    if (auto ids = body.if_contains("member_ids")) {
      if (!ids->is_array()) throw Error::invalid_argument("member_ids must be an array of user ids", "member_ids");
      for (const auto& v : ids->as_array()) {
        if (!v.is_string()) throw Error::invalid_argument("member_ids must be an array of user ids", "member_ids");
        std::string id(v.as_string());
        if (id != me && seen.insert(id).second) invited.push_back(std::move(id));
      }
    }
    if (invited.size() + 1 > kMaxGroupMembers)
      throw Error::invalid_argument("a group has at most 1000 members", "member_ids");
    answer = co_await db_.write_returning([&](storage::Tx& tx) {
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& id : invited) pairs.emplace_back(me, id);
      auto facts = store::direct_facts(tx, pairs);
      std::vector<Invitee> invitees;
      for (const auto& pair : pairs) {
        auto f = facts.find(pair);
        invitees.push_back(
            {pair.second, f == facts.end() ? std::nullopt : std::optional<DirectFacts>(f->second)});
      }
      check_invitees(invitees);
      std::string t = now();
      ConversationRow c{ids::uuid_v7(), "group", title, t, 0, t};
      store::insert_conversation(tx, c, std::nullopt);
      auto clock = store::lock_sync_head(tx);
      store::add_member(tx, c.id, me, Role::owner, t, clock);
      for (const auto& id : invited) store::add_member(tx, c.id, id, Role::member, t, clock);
      deliver_conversation(tx, sync_, c, "conversation.created", {});
      std::vector<std::string> all(invited.begin(), invited.end());
      all.push_back(me);
      outbox_.add(tx, events::ConversationCreated{
                          .conversation_id = c.id, .kind = "group", .title = title, .created_by = me, .member_ids = all});
      return Answer{201, view(tx, c, me)};
    });
  } else {
    throw Error::invalid_argument("kind must be 'direct' or 'group'", "kind");
  }
  co_return http::Response::json(answer.status, answer.conversation);
}

async::Task<http::Response> ConversationHandlers::list_conversations(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  int limit = service::list_limit(request);
  std::string position = service::decode_cursor(request);
  std::string after_activity, after_id;
  if (!position.empty()) {
    auto bar = position.find('|');
    if (bar == std::string::npos) throw Error::invalid_argument("cursor is not valid", "cursor");
    after_activity = position.substr(0, bar);
    after_id = position.substr(bar + 1);
  }
  bj::array items;
  bj::value next = nullptr;
  co_await db_.read([&](storage::Tx& tx) {
    auto page = storage::page_of(store::list_for(tx, me, after_activity, after_id, storage::rows_for_page(limit)), limit);
    for (const auto& c : page.items) items.push_back(view(tx, c, me));
    if (page.more) next = service::encode_cursor(page.items.back().last_activity_at + "|" + page.items.back().id);
  });
  co_return http::Response::json(200, bj::object{{"items", items}, {"next_cursor", next}});
}

async::Task<http::Response> ConversationHandlers::get_conversation(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  bj::object out;
  co_await db_.read([&](storage::Tx& tx) { out = view(tx, membership(tx, request.param("id"), me).first, me); });
  co_return http::Response::json(200, out);
}

async::Task<http::Response> ConversationHandlers::rename(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"title"});
  std::string title = normalize_title(json::required_string(body, "title"));
  auto out = co_await db_.write_returning([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    if (c.kind != "group") throw Error::invalid_argument("only a group has a title", "title");
    if (!manages(m.role)) throw Error::permission_denied("only the owner or an admin may rename the group");
    store::set_title(tx, c.id, title, now());
    c.title = title;
    deliver_conversation(tx, sync_, c, "conversation.updated", {});
    outbox_.add(tx, events::ConversationUpdated{.conversation_id = c.id, .title = title, .updated_by = me});
    return view(tx, c, me);
  });
  co_return http::Response::json(200, out);
}

async::Task<http::Response> ConversationHandlers::add_member(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"user_id"});
  std::string user = json::required_string(body, "user_id");
  auto out = co_await db_.write_returning([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    if (c.kind != "group") throw Error::invalid_argument("members cannot be added to a direct conversation", "user_id");
    if (!manages(m.role)) throw Error::permission_denied("only the owner or an admin may add members");
    auto facts = store::direct_facts(tx, me, user);
    if (!facts) throw Error::not_found("no such user");
    if (store::member(tx, c.id, user)) throw Error::conflict("conflict", "already a member");
    if (!may_add_to_group(*facts)) throw refused_invitee(user);
    if (store::members(tx, c.id).size() >= kMaxGroupMembers)
      throw Error::invalid_argument("a group has at most 1000 members", "user_id");
    std::string t = now();
    store::touch(tx, c.id, t);
    auto clock = store::lock_sync_head(tx);
    taken_meanwhile_retries([&] { store::add_member(tx, c.id, user, Role::member, t, clock); });
    store::clear_removal(tx, c.id, user);  // added back: the invite code works for them again
    deliver_conversation(tx, sync_, c, "member.added", {}, {{"user_id", user}});
    outbox_.add(tx, events::MemberAdded{.conversation_id = c.id, .user_id = user, .added_by = me});
    return view(tx, c, me);
  });
  co_return http::Response::json(201, out);
}

async::Task<http::Response> ConversationHandlers::remove_member(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  const std::string& target = request.param("user_id");
  co_await db_.write([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    if (c.kind != "group") throw Error::invalid_argument("nobody can leave or be removed from a direct conversation");
    auto t = store::member(tx, c.id, target);
    if (!t) throw Error::not_found("not a member");
    if (!may_remove(target == me, m.role, t->role))
      throw Error::permission_denied("you may not remove this member");
    store::touch(tx, c.id, now());
    auto clock = store::lock_sync_head(tx);
    store::remove_member(tx, c.id, target, clock);
    if (target != me) store::record_removal(tx, c.id, target, me, now());  // no rejoining by code
    if (t->role == Role::owner)  // ownership passes on, so a group never lacks one
      if (auto heir = store::successor(tx, c.id)) store::set_role(tx, c.id, *heir, Role::owner, clock);
    // The last one out revokes the invite code: nobody would be left to manage whoever joins.
    if (store::members(tx, c.id).empty()) store::clear_invite(tx, c.id);
    deliver_conversation(tx, sync_, c, "member.removed", {target}, {{"user_id", target}});
    outbox_.add(tx, events::MemberRemoved{.conversation_id = c.id, .user_id = target, .removed_by = me});
  });
  co_return http::Response::no_content();
}

async::Task<http::Response> ConversationHandlers::invite_code(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  std::string code = crypto::random_token(16);
  std::string expires = time::format_rfc3339(time::now() + std::chrono::duration_cast<std::chrono::milliseconds>(invite_ttl_));
  co_await db_.write([&](storage::Tx& tx) {
    auto [c, m] = membership(tx, request.param("id"), me);
    if (c.kind != "group") throw Error::invalid_argument("only a group has invite codes");
    if (!manages(m.role)) throw Error::permission_denied("only the owner or an admin may create an invite code");
    store::set_invite(tx, c.id, code, expires);  // replaces (and so revokes) the previous code
  });
  co_return http::Response::json(201, bj::object{{"code", code}, {"expires_at", expires}});
}

async::Task<http::Response> ConversationHandlers::join(http::Request& request) {
  auto me = verifier_.authenticate(request).sub;
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"code"});
  std::string code = json::required_string(body, "code");
  if (code.empty() || code.size() > 64) throw Error::not_found("no such invite code");
  auto out = co_await db_.write_returning([&](storage::Tx& tx) {
    auto id = store::conversation_by_invite(tx, code, now());
    if (!id) throw Error::not_found("no such invite code, or it expired");
    auto c = *store::conversation(tx, *id);
    if (!store::member(tx, c.id, me)) {
      if (store::removed(tx, c.id, me))
        throw Error::permission_denied(
            "you were removed from this group; an owner or admin may add you back");
      if (store::members(tx, c.id).size() >= kMaxGroupMembers) throw Error::conflict("conflict", "the group is full");
      std::string t = now();
      store::touch(tx, c.id, t);
      auto clock = store::lock_sync_head(tx);
      taken_meanwhile_retries([&] { store::add_member(tx, c.id, me, Role::member, t, clock); });
      deliver_conversation(tx, sync_, c, "member.added", {}, {{"user_id", me}});
      outbox_.add(tx, events::MemberAdded{.conversation_id = c.id, .user_id = me, .added_by = me});
    }
    return view(tx, c, me);
  });
  co_return http::Response::json(200, out);
}

}  // namespace parley::messages
