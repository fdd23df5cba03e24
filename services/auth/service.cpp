#include "service.hpp"

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "auth_service.hpp"
#include "parley/core/config.hpp"

namespace parley::auth {

AuthOptions AuthOptions::from_env() {
  AuthOptions o;
  o.access_ttl = std::chrono::seconds(config::get_int("PARLEY_ACCESS_TOKEN_TTL_S", 900, 60,
                                                      token::kMaxAccessTokenLifetime.count()));
  o.refresh_ttl = std::chrono::hours(24 * config::get_int("PARLEY_REFRESH_TOKEN_TTL_DAYS", 30, 1, 365));
  o.password.memory_kib = static_cast<std::size_t>(
      config::get_int("PARLEY_ARGON2_MEMORY_KIB", 19 * 1024, 19 * 1024, 4 * 1024 * 1024));
  o.password.ops = static_cast<unsigned long long>(config::get_int("PARLEY_ARGON2_OPS", 2, 2, 64));
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  o.hash_threads = static_cast<std::size_t>(config::get_int("PARLEY_HASH_THREADS", cores, 1, 256));
  o.guesses.free_failures =
      static_cast<int>(config::get_int("PARLEY_LOGIN_MAX_FAILURES", 10, 1, 1'000'000));
  o.login_max_per_address =
      static_cast<int>(config::get_int("PARLEY_LOGIN_MAX_PER_IP", 100, 1, 100'000'000));
  o.register_max_per_address =
      static_cast<int>(config::get_int("PARLEY_REGISTER_MAX_PER_IP", 100, 1, 100'000'000));
  std::string secure = config::get_string("PARLEY_COOKIE_SECURE", "auto");
  auto cookie_secure = parse_cookie_secure(secure);
  if (!cookie_secure)
    throw config::ConfigError("PARLEY_COOKIE_SECURE must be auto, true or false, got '" + secure +
                              "'");
  o.cookie_secure = *cookie_secure;
  o.trust_proxy = config::get_bool("PARLEY_TRUST_PROXY", false);
  return o;
}

void AuthService::start() {
  // Revocations reach token verifiers as events, which a process that was not running missed:
  // this one (and, in the all-in-one, every service) refuses again the sessions revoked and the
  // accounts deleted within the longest access-token lifetime (and its leeway).
  auto horizon = ctx_.verifier.revocation_horizon();
  auto since = time::now() - horizon;
  store::Revocations recent;
  db_->read_sync([&](storage::Tx& tx) {
    recent = store::recent_revocations(tx, time::format_rfc3339(since), time::to_unix_ms(since));
  });
  auto until = time::now() + horizon;
  for (const auto& sid : recent.sessions) ctx_.verifier.revoke_session(sid, until);
  for (const auto& uid : recent.users) ctx_.verifier.revoke_user(uid, until);
  outbox_.start();
}

AuthService::AuthService(service::Context& ctx, AuthOptions options)
    : ctx_(ctx),
      options_(options),
      db_(ctx.open_database("auth")),
      outbox_(*db_, ctx.bus, "auth"),
      key_(token::SigningKey::load_or_create(ctx.data_dir + "/auth-signing-key.json")),
      hasher_(options.password),
      guesses_(options.guesses),
      login_addresses_(options.login_max_per_address, std::chrono::minutes(1)),
      registrations_(options.register_max_per_address, std::chrono::hours(1)),
      hash_pool_(
          {.name = "hashing", .threads = options.hash_threads, .max_queued = 256, .nice = 10}),
      login_hash_pool_({.name = "login-hashing",
                        .threads = options.hash_threads,
                        .max_queued = 256,
                        .nice = 10}) {
  db_->migrate(auth_migrations());
  ctx.verifier.add_key(key_.kid(), key_.public_key());
  publish_jwks(ctx.data_dir + "/jwks.json");
  service::watch(ctx.metrics, "auth", *db_, outbox_);
}

void AuthService::add_routes(http::Router& router) {
  auto bind = [this](auto method) { return service::bind(this, method); };
  router.add("POST", "/api/v1/auth/register", bind(&AuthService::register_user));
  router.add("POST", "/api/v1/auth/login", bind(&AuthService::login));
  router.add("POST", "/api/v1/auth/refresh", bind(&AuthService::refresh));
  router.add("POST", "/api/v1/auth/logout", bind(&AuthService::logout));
  router.add("GET", "/api/v1/auth/sessions", bind(&AuthService::list_sessions));
  router.add("DELETE", "/api/v1/auth/sessions/{id}", bind(&AuthService::revoke_session));
  router.add("POST", "/api/v1/auth/password", bind(&AuthService::change_password));
  router.add("DELETE", "/api/v1/auth/account", bind(&AuthService::delete_account));
  router.add("GET", "/api/v1/auth/jwks", bind(&AuthService::jwks));
  service::add_internal_route(router, ctx_.service_credential, "GET", "/internal/v1/users/{user_id}/account",
                              bind(&AuthService::internal_account));
  service::add_internal_route(router, ctx_.service_credential, "GET", "/internal/v1/revocations",
                              bind(&AuthService::internal_revocations));
}

void AuthService::publish_jwks(const std::string& path) const {
  // Written whole, then renamed into place: a reader never sees half a file.
  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << boost::json::serialize(boost::json::object{{"keys", boost::json::array{key_.jwk()}}});
    if (!out) throw std::runtime_error("cannot write " + temp);
  }
  std::filesystem::rename(temp, path);
}

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<AuthService>(ctx, AuthOptions::from_env());
}

}  // namespace parley::auth
