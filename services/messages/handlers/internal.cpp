#include "handlers/internal.hpp"

#include <charconv>

#include "handlers/views.hpp"
#include "parley/core/error.hpp"
#include "parley/service/service.hpp"
#include "store/conversations.hpp"
#include "store/messages.hpp"
#include "store/people.hpp"

namespace parley::messages {

namespace bj = boost::json;

namespace {
std::int64_t after_seq_param(const http::Request& request) {
  auto text = request.query_param("after_seq");
  if (!text) return 0;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v < 0)
    throw Error::invalid_argument("after_seq must be a non-negative integer", "after_seq");
  return v;
}

void require_person(storage::Tx& tx, const std::string& user_id) {
  if (!store::person(tx, user_id)) throw Error::not_found("no such user");
}
}  // namespace

async::Task<http::Response> InternalHandlers::conversations(http::Request& request) {
  const std::string& user = request.param("user_id");
  int limit = service::list_limit(request);
  std::string after = service::decode_cursor(request);
  bj::array items;
  bj::value next = nullptr;
  co_await db_.read([&](storage::Tx& tx) {
    require_person(tx, user);
    auto page = storage::page_of(store::list_all_for(tx, user, after, storage::rows_for_page(limit)), limit);
    for (const auto& c : page.items) {
      // The public shape, as the user sees it, with each member's username.
      bj::object conversation = view(tx, c, user);
      bj::array members;
      for (const auto& [m, username] : store::named_members(tx, c.id))
        members.push_back(
            bj::object{{"user_id", m.user_id},
                       {"username", username ? bj::value(*username) : bj::value(nullptr)},
                       {"role", role_name(m.role)}});
      conversation["members"] = std::move(members);
      items.push_back(std::move(conversation));
    }
    if (page.more) next = service::encode_cursor(page.items.back().id);
  });
  co_return http::Response::json(200, bj::object{{"items", items}, {"next_cursor", next}});
}

async::Task<http::Response> InternalHandlers::messages(http::Request& request) {
  const std::string& user = request.param("user_id");
  std::int64_t after_seq = after_seq_param(request);
  int limit = service::list_limit(request);
  bj::array items;
  bool has_more = false;
  co_await db_.read([&](storage::Tx& tx) {
    require_person(tx, user);
    auto [c, m] = membership(tx, request.param("conversation_id"), user);
    auto page = store::export_history(tx, c.id, after_seq, limit);
    for (const auto& message : page.items) items.push_back(message.to_json());
    has_more = page.more;
  });
  co_return http::Response::json(200, bj::object{{"items", items}, {"has_more", has_more}});
}

}  // namespace parley::messages
