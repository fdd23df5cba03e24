// The auth service wired: its settings, its database and outbox, its signing key, its handlers and
// their routes.

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

AuthService::AuthService(service::Context& ctx, const AuthOptions& options)
    : DatabaseService(ctx, "auth", auth_migrations()),
      key_(token::SigningKey::load_or_create(ctx.data_dir + "/auth-signing-key.json")),
      handlers_(ctx, *db_, outbox_, key_, options) {
  ctx.verifier.add_key(key_.kid(), key_.public_key());
  publish_jwks(ctx.data_dir + "/jwks.json");
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
  DatabaseService::start();
}

void AuthService::add_routes(http::Router& router) {
  using H = AuthHandlers;
  service::add_routes(router, ctx_.service_credential, handlers_,
                      {{"POST", "/api/v1/auth/register", &H::register_user},
                       {"POST", "/api/v1/auth/login", &H::login},
                       {"POST", "/api/v1/auth/refresh", &H::refresh},
                       {"POST", "/api/v1/auth/logout", &H::logout},
                       {"GET", "/api/v1/auth/sessions", &H::list_sessions},
                       {"DELETE", "/api/v1/auth/sessions/{id}", &H::revoke_session},
                       {"POST", "/api/v1/auth/password", &H::change_password},
                       {"DELETE", "/api/v1/auth/account", &H::delete_account},
                       {"GET", "/api/v1/auth/jwks", &H::jwks},
                       {"GET", "/internal/v1/users/{user_id}/account", &H::internal_account},
                       {"GET", "/internal/v1/revocations", &H::internal_revocations}});
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
