#include "handlers/users_handlers.hpp"

#include "parley/core/error.hpp"
#include "parley/core/json.hpp"
#include "store/users_store.hpp"

namespace parley::users {

UsersHandlers::UsersHandlers(service::Context& ctx, storage::Database& db, events::Outbox& outbox)
    : ctx_(ctx), db_(db), outbox_(outbox) {}

async::Task<Profile> UsersHandlers::load(std::string id) {
  std::optional<Profile> profile;
  co_await db_.read([&](storage::Tx& tx) { profile = store::find(tx, id); });
  if (!profile) throw Error::not_found("no such user");
  co_return *profile;
}

async::Task<http::Response> UsersHandlers::get_me(http::Request& request) {
  auto claims = ctx_.verifier.authenticate(request);
  Profile p = co_await load(claims.sub);
  co_return http::Response::json(200, p.to_json(true));
}

async::Task<http::Response> UsersHandlers::patch_me(http::Request& request) {
  auto claims = ctx_.verifier.authenticate(request);
  ProfileChange change = parse_profile_change(request.json_body());
  std::optional<Profile> profile;
  co_await db_.write([&](storage::Tx& tx) {
    profile = store::find(tx, claims.sub);
    if (!profile || change.empty()) return;
    apply(*profile, change);
    store::update(tx, *profile);
    outbox_.add(tx, events::UserProfileUpdated{.user_id = profile->id,
                                               .username = profile->username,
                                               .display_name = profile->display_name,
                                               .bio = profile->bio,
                                               .dm_policy = profile->dm_policy,
                                               .created_at = profile->created_at});
  });
  if (!profile) throw Error::not_found("no such user");
  if (!change.empty()) co_await service::publish_now(ctx_, outbox_);
  co_return http::Response::json(200, profile->to_json(true));
}

async::Task<http::Response> UsersHandlers::get_user(http::Request& request) {
  ctx_.verifier.authenticate(request);
  Profile p = co_await load(request.param("id"));
  co_return http::Response::json(200, p.to_json(false));
}

async::Task<http::Response> UsersHandlers::search(http::Request& request) {
  ctx_.verifier.authenticate(request);
  std::string query = request.query_param("query").value_or("");
  if (query.empty() || query.size() > 64)
    throw Error::invalid_argument("query must be 1 to 64 characters", "query");
  int limit = service::list_limit(request);
  std::string after = service::decode_cursor(request);
  storage::Page<Profile> found;
  co_await db_.read([&](storage::Tx& tx) {
    found = storage::page_of(store::search(tx, like_prefix(query), after, storage::rows_for_page(limit)), limit);
  });
  co_return http::Response::json(200, service::list_json(found, [](const Profile& p) { return p.to_json(false); },
                                                          [](const Profile& p) { return p.username; }));
}

async::Task<http::Response> UsersHandlers::internal_profile(http::Request& request) {
  Profile p = co_await load(request.param("user_id"));
  co_return http::Response::json(200, p.to_json(true));
}

}  // namespace parley::users
