#include "service.hpp"

#include "consumers/accounts_consumer.hpp"
#include "domain/profile.hpp"
#include "parley/core/error.hpp"
#include "parley/core/json.hpp"
#include "parley/events/outbox.hpp"
#include "parley/events/topology.hpp"
#include "store/users_store.hpp"

namespace parley::users {

namespace bj = boost::json;

class UsersService final : public service::Service {
 public:
  explicit UsersService(service::Context& ctx)
      : ctx_(ctx), db_(ctx.open_database("users")), outbox_(*db_, ctx.bus, "users") {
    db_->migrate(users_migrations());
    service::watch(ctx.metrics, "users", *db_, outbox_);
    accounts_consumer().subscribe(ctx.bus, events::durable_consumer("users"), *db_);
  }

  // service::Service
  std::string_view name() const override { return "users"; }
  void add_routes(http::Router& router) override {
    router.add("GET", "/api/v1/users/me", service::bind(this, &UsersService::get_me));
    router.add("PATCH", "/api/v1/users/me", service::bind(this, &UsersService::patch_me));
    router.add("GET", "/api/v1/users/{id}", service::bind(this, &UsersService::get_user));
    router.add("GET", "/api/v1/users", service::bind(this, &UsersService::search));
    service::add_internal_route(router, ctx_.service_credential, "GET", "/internal/v1/users/{user_id}/profile",
                                service::bind(this, &UsersService::internal_profile));
  }
  void start() override { outbox_.start(); }
  void stop() override { outbox_.stop(); }

 private:
  // handlers
  async::Task<Profile> load(std::string id) {
    std::optional<Profile> profile;
    co_await db_->read([&](storage::Tx& tx) { profile = store::find(tx, id); });
    if (!profile) throw Error::not_found("no such user");
    co_return *profile;
  }

  async::Task<http::Response> get_me(http::Request& request) {
    auto claims = ctx_.verifier.authenticate(request);
    Profile p = co_await load(claims.sub);
    co_return http::Response::json(200, p.to_json(true));
  }

  async::Task<http::Response> patch_me(http::Request& request) {
    auto claims = ctx_.verifier.authenticate(request);
    ProfileChange change = parse_profile_change(request.json_body());
    std::optional<Profile> profile;
    co_await db_->write([&](storage::Tx& tx) {
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

  async::Task<http::Response> get_user(http::Request& request) {
    ctx_.verifier.authenticate(request);
    Profile p = co_await load(request.param("id"));
    co_return http::Response::json(200, p.to_json(false));
  }

  async::Task<http::Response> search(http::Request& request) {
    ctx_.verifier.authenticate(request);
    std::string query = request.query_param("query").value_or("");
    if (query.empty() || query.size() > 64)
      throw Error::invalid_argument("query must be 1 to 64 characters", "query");
    int limit = service::list_limit(request);
    std::string after = service::decode_cursor(request);
    storage::Page<Profile> found;
    co_await db_->read([&](storage::Tx& tx) {
      found = storage::page_of(store::search(tx, like_prefix(query), after, storage::rows_for_page(limit)), limit);
    });
    co_return http::Response::json(200, service::list_json(found, [](const Profile& p) { return p.to_json(false); },
                                                            [](const Profile& p) { return p.username; }));
  }

  // internal (service credential only): the whole profile, dm_policy included.
  async::Task<http::Response> internal_profile(http::Request& request) {
    Profile p = co_await load(request.param("user_id"));
    co_return http::Response::json(200, p.to_json(true));
  }

  service::Context& ctx_;
  std::unique_ptr<storage::Database> db_;
  events::Outbox outbox_;
};

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<UsersService>(ctx);
}

}  // namespace parley::users
