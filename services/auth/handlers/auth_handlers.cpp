#include "handlers/auth_handlers.hpp"

#include "domain/sessions.hpp"
#include "domain/validation.hpp"
#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/json.hpp"
#include "parley/core/text.hpp"
#include "parley/core/time.hpp"
#include "parley/http/cookie.hpp"

namespace parley::auth {

namespace bj = boost::json;

namespace {

bj::object user_json(const UserRecord& u) {
  return {{"id", u.id}, {"username", u.username}, {"email", u.email},
          {"display_name", u.display_name}, {"created_at", u.created_at}};
}

std::int64_t now_ms() { return time::to_unix_ms(time::now()); }

void throw_if_taken(storage::Tx& tx, const UserRecord& user) {
  if (store::username_exists(tx, user.username))
    throw Error::conflict("username_taken", "that username is taken");
  if (store::email_exists(tx, text::ascii_lower(user.email)))
    throw Error::conflict("email_taken", "an account with that email exists");
}

}  // namespace

AuthHandlers::AuthHandlers(service::Context& ctx, storage::Database& db, events::Outbox& outbox,
                           const token::SigningKey& key, const AuthOptions& options)
    : ctx_(ctx),
      db_(db),
      outbox_(outbox),
      key_(key),
      options_(options),
      hasher_(options.password),
      guesses_(options.guesses),
      login_addresses_(options.login_max_per_address, std::chrono::minutes(1)),
      registrations_(options.register_max_per_address, std::chrono::hours(1)),
      hash_pool_(
          {.name = "hashing", .threads = options.hash_threads, .max_queued = 256, .nice = 10}),
      login_hash_pool_({.name = "login-hashing",
                        .threads = options.hash_threads,
                        .max_queued = 256,
                        .nice = 10}) {}

boost::json::object AuthHandlers::token_body(const TokenPair& tokens,
                                             bool with_refresh_token) const {
  bj::object out{{"access_token", tokens.access_token}};
  if (with_refresh_token) out["refresh_token"] = tokens.refresh_token;
  out["token_type"] = "Bearer";
  out["expires_in"] = options_.access_ttl.count();
  return out;
}

bool AuthHandlers::came_over_https(const http::Request& request) const {
  if (!options_.trust_proxy) return false;
  std::string_view proto = request.header("x-forwarded-proto");
  return text::ascii_lower(text::trim(proto.substr(0, proto.find(',')))) == "https";
}

std::string AuthHandlers::refresh_cookie(const http::Request& request,
                                         const std::string& token) const {
  bool secure = options_.cookie_secure == CookieSecure::always ||
                (options_.cookie_secure == CookieSecure::automatic && came_over_https(request));
  auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(options_.refresh_ttl).count();
  return http::format_set_cookie({.name = std::string(kRefreshCookie),
                                  .value = token,
                                  .path = std::string(kRefreshCookiePath),
                                  .max_age_s = token.empty() ? 0 : lifetime,
                                  .http_only = true,
                                  .same_site = "Strict",
                                  .secure = secure});
}

AuthHandlers::PresentedToken AuthHandlers::presented_refresh_token(
    const http::Request& request) const {
  // A body naming refresh_token: the JSON flow, exactly as before the cookie existed.
  bj::object body;
  if (!text::trim(request.body).empty()) {
    body = request.json_body();
    json::reject_unknown_fields(body, {"refresh_token"});
    if (body.contains("refresh_token"))
      return {json::required_string(body, "refresh_token"), false};
  }
  auto cookie = http::request_cookie(request, kRefreshCookie);
  if (!cookie) {
    // Not a browser: the error a JSON client got before (the body is missing or lacks the field).
    if (!is_web_client(request.header("x-parley-client"))) {
      if (text::trim(request.body).empty()) body = request.json_body();
      json::required_string(body, "refresh_token");
    }
    throw Error::unauthenticated("no refresh token: none in the body, no cookie");
  }
  CookieRequest facts{.x_parley_client = request.header("x-parley-client"),
                      .origin = request.header("origin"),
                      .host = request.header("host"),
                      .sec_fetch_site = request.header("sec-fetch-site"),
                      .https = came_over_https(request)};
  if (auto refusal = cookie_refusal(facts)) throw Error::permission_denied(*refusal);
  return {*cookie, true};
}

TokenPair AuthHandlers::rotate(storage::Tx& tx, const std::string& user_id, const std::string& session_id) {
  TokenPair tokens;
  tokens.refresh_token = crypto::random_token(32);
  std::int64_t now = now_ms();
  store::insert_refresh(tx, crypto::sha256_hex(tokens.refresh_token), session_id, now,
                        now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.refresh_ttl).count());
  token::Claims claims;
  claims.sub = user_id;
  claims.sid = session_id;
  claims.iss = "parley";
  claims.aud = "parley";
  claims.jti = ids::uuid_v7();
  claims.iat = now / 1000;
  claims.nbf = claims.iat;
  claims.exp = claims.iat + options_.access_ttl.count();
  tokens.access_token = key_.sign(claims);
  return tokens;
}

TokenPair AuthHandlers::start_session(storage::Tx& tx, const std::string& user_id, const http::Request& request) {
  std::string now = time::format_rfc3339(time::now());
  SessionRecord session{ids::uuid_v7(), user_id, now, now,
                        clean_user_agent(request.header("user-agent")), request.remote_ip};
  store::insert_session(tx, session);
  return rotate(tx, user_id, session.id);
}

namespace {

// Holds a place among a throttle key's checks until destroyed, then reports how the check ended.
class GuessCheck {
 public:
  // Throws 429 when the key must wait.
  GuessCheck(GuessThrottle& throttle, std::string key) : throttle_(throttle), key_(std::move(key)) {
    if (auto wait = throttle_.begin_check(key_, time::now()); wait > 0)
      throw Error::rate_limited(wait);
  }
  ~GuessCheck() { throttle_.finish_check(key_, outcome_, time::now()); }
  GuessCheck(const GuessCheck&) = delete;
  GuessCheck& operator=(const GuessCheck&) = delete;
  void done(bool password_was_right) {
    outcome_ =
        password_was_right ? GuessThrottle::Outcome::succeeded : GuessThrottle::Outcome::failed;
  }

 private:
  GuessThrottle& throttle_;
  std::string key_;
  GuessThrottle::Outcome outcome_ = GuessThrottle::Outcome::unfinished;
};

// Throttle keys: what was tried, from where. A login is keyed by the login as typed (not the
// account it names), so that its answer says nothing about the account's other login.
std::string login_key(const std::string& login, const std::string& address) {
  return "login\n" + login + "\n" + address;
}
std::string account_key(const std::string& user_id, const std::string& address) {
  return "account\n" + user_id + "\n" + address;
}

}  // namespace

template <class Then>
async::Task<std::invoke_result_t<Then&>> AuthHandlers::check_own_password(
    const http::Request& request, const UserRecord& user, const std::string& password,
    Then then_fn) {
  using Result = std::invoke_result_t<Then&>;
  GuessCheck check(guesses_, account_key(user.id, request.remote_ip));
  auto [ok, result] = co_await hash_pool_.run([&]() -> std::pair<bool, Result> {
    if (password.size() > 1024 || !hasher_.verify(user.password_hash, password))
      return {false, Result{}};
    return {true, then_fn()};
  });
  check.done(ok);
  if (!ok) throw Error::invalid_credentials();
  co_return result;
}

async::Task<http::Response> AuthHandlers::register_user(http::Request& request) {
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"username", "email", "password", "display_name"});
  UserRecord user;
  user.username = normalize_username(json::required_string(body, "username"));
  user.email = normalize_email(json::required_string(body, "email"));
  std::string password = json::required_string(body, "password");
  check_password(password);
  auto display_name = json::optional_string(body, "display_name");
  user.display_name = display_name ? normalize_display_name(*display_name) : user.username;
  user.id = ids::uuid_v7();
  user.created_at = time::format_rfc3339(time::now());
  if (auto wait = registrations_.admit(request.remote_ip, time::now()); wait > 0)
    throw Error::rate_limited(wait);
  // Taken already: answered before spending Argon2id on it (checked again when writing).
  co_await db_.read([&](storage::Tx& tx) { throw_if_taken(tx, user); });
  user.password_hash = co_await hash_pool_.run([&] { return hasher_.hash(password); });

  TokenPair tokens;
  try {
    co_await db_.write([&](storage::Tx& tx) {
      throw_if_taken(tx, user);
      store::insert_user(tx, user);
      tokens = start_session(tx, user.id, request);
      outbox_.add(tx, events::UserRegistered{.user_id = user.id,
                                             .username = user.username,
                                             .email = user.email,
                                             .display_name = user.display_name,
                                             .created_at = user.created_at});
    });
  } catch (const storage::ConstraintViolation&) {
    throw Error::conflict("conflict", "username or email already taken");
  }
  co_await service::publish_now(ctx_, outbox_);
  bool web = is_web_client(request.header("x-parley-client"));
  bj::object out = token_body(tokens, !web);
  out["user"] = user_json(user);
  auto response = http::Response::json(201, out);
  if (web)
    response.headers.emplace_back("Set-Cookie", refresh_cookie(request, tokens.refresh_token));
  co_return response;
}

async::Task<http::Response> AuthHandlers::login(http::Request& request) {
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"login", "password"});
  std::string login = text::ascii_lower(text::trim(json::required_string(body, "login")));
  std::string password = json::required_string(body, "password");
  if (auto wait = login_addresses_.admit(request.remote_ip, time::now()); wait > 0)
    throw Error::rate_limited(wait);
  if (login.empty() || login.size() > 254 || password.size() > 1024) throw Error::invalid_credentials();

  // The check holds a place among the free failures of this login from this address until it
  // ends; known or unknown, a login is throttled the same way.
  GuessCheck check(guesses_, login_key(login, request.remote_ip));
  std::optional<UserRecord> user;
  co_await db_.read([&](storage::Tx& tx) { user = store::find_user_by_login(tx, login); });

  // Unknown users cost one Argon2id verification too, and answer exactly like a wrong password.
  auto [ok, rehash] = co_await login_hash_pool_.run([&]() -> std::pair<bool, std::string> {
    if (!user) {
      hasher_.burn(password);
      return {false, {}};
    }
    if (!hasher_.verify(user->password_hash, password)) return {false, {}};
    return {true, hasher_.needs_rehash(user->password_hash) ? hasher_.hash(password) : std::string()};
  });
  check.done(ok);
  if (!ok) throw Error::invalid_credentials();

  TokenPair tokens;
  bool gone = false;
  co_await db_.write([&](storage::Tx& tx) {
    gone = false;  // this may be a second run, after a deadlock
    // The password was checked against the hash read before hashing: if the account was deleted
    // or its password changed meanwhile (which revoked every other session), this login is one
    // with a password that is no longer valid, and must neither start a session nor rehash.
    auto current = store::find_user(tx, user->id);
    if (!current || current->password_hash != user->password_hash) {
      gone = true;
      return;
    }
    if (!rehash.empty()) store::update_password(tx, user->id, rehash);
    tokens = start_session(tx, user->id, request);
    outbox_.add(tx, events::SecurityNewLogin{
                        .user_id = user->id,
                        .ip = request.remote_ip,
                        .user_agent = clean_user_agent(request.header("user-agent")),
                        .occurred_at = time::format_rfc3339(time::now())});
  });
  if (gone) throw Error::invalid_credentials();
  bool web = is_web_client(request.header("x-parley-client"));
  bj::object out = token_body(tokens, !web);
  out["user"] = user_json(*user);
  auto response = http::Response::json(200, out);
  if (web)
    response.headers.emplace_back("Set-Cookie", refresh_cookie(request, tokens.refresh_token));
  co_return response;
}

async::Task<TokenPair> AuthHandlers::redeem_refresh(const std::string& token) {
  if (token.empty() || token.size() > 256) throw Error::unauthenticated("refresh token is not valid");
  std::string hash = crypto::sha256_hex(token);

  enum class Outcome { rotated, invalid, reused } outcome = Outcome::invalid;
  TokenPair tokens;
  co_await db_.write([&](storage::Tx& tx) {
    outcome = Outcome::invalid;  // this may be a second run, after a deadlock
    auto record = store::find_refresh(tx, hash);
    auto verdict = judge_refresh({.known = record.has_value(),
                                  .session_revoked = record && record->session_revoked,
                                  .spent = record && record->used_at_ms.has_value(),
                                  .expired = record && record->expires_at_ms <= now_ms()});
    if (verdict == RefreshVerdict::refuse) return;
    std::string now = time::format_rfc3339(time::now());
    // Theft detection: a rotated token came back. Revoke the whole session.
    auto reused = [&] {
      store::revoke_session(tx, record->session_id, record->user_id, now);
      outbox_.add(tx, events::SessionRevoked{.session_id = record->session_id,
                                             .user_id = record->user_id,
                                             .reason = "refresh_token_reuse"});
      outcome = Outcome::reused;
    };
    if (verdict == RefreshVerdict::revoke_session) return reused();
    // Used meanwhile through another auth replica (the read above did not lock): reuse too.
    if (!store::mark_refresh_used(tx, hash, now_ms())) return reused();
    store::touch_session(tx, record->session_id, now);
    tokens = rotate(tx, record->user_id, record->session_id);
    outcome = Outcome::rotated;
  });
  if (outcome == Outcome::reused) {
    co_await service::publish_now(ctx_, outbox_);
    throw Error::unauthenticated("refresh token was already used; the session has been revoked");
  }
  if (outcome == Outcome::invalid) throw Error::unauthenticated("refresh token is not valid");
  co_return tokens;
}

async::Task<bool> AuthHandlers::revoke_by_refresh(const std::string& token) {
  std::string hash = crypto::sha256_hex(token);
  bool known = false;
  co_await db_.write([&](storage::Tx& tx) {
    auto record = store::find_refresh(tx, hash);
    known = record.has_value();  // set, not accumulated: this may be a second run
    if (!record) return;
    if (store::revoke_session(tx, record->session_id, record->user_id, time::format_rfc3339(time::now())))
      outbox_.add(tx, events::SessionRevoked{.session_id = record->session_id,
                                             .user_id = record->user_id,
                                             .reason = "logout"});
  });
  if (known) co_await service::publish_now(ctx_, outbox_);
  co_return known;
}

async::Task<http::Response> AuthHandlers::refresh(http::Request& request) {
  PresentedToken presented = presented_refresh_token(request);
  if (!presented.from_cookie) {
    TokenPair tokens = co_await redeem_refresh(presented.token);
    co_return http::Response::json(200, token_body(tokens));
  }
  // From the cookie: the new refresh token goes back in it; a token refused (unknown, expired,
  // revoked, spent) is of no more use, so the browser is told to forget it.
  std::exception_ptr refused;
  TokenPair tokens;
  try {
    tokens = co_await redeem_refresh(presented.token);
  } catch (const Error& e) {
    if (e.status() != 401) throw;
    refused = std::current_exception();
  }
  if (refused) {
    auto response = http::error_response(refused, request);
    response.headers.emplace_back("Set-Cookie", refresh_cookie(request, ""));
    co_return response;
  }
  auto response = http::Response::json(200, token_body(tokens, false));
  response.headers.emplace_back("Set-Cookie", refresh_cookie(request, tokens.refresh_token));
  co_return response;
}

async::Task<http::Response> AuthHandlers::logout(http::Request& request) {
  PresentedToken presented = presented_refresh_token(request);
  bool known = co_await revoke_by_refresh(presented.token);
  if (!presented.from_cookie) {
    if (!known) throw Error::unauthenticated("refresh token is not valid");
    co_return http::Response::no_content();
  }
  // From the cookie: the browser forgets it, whether it still named a session or not.
  auto response =
      known ? http::Response::no_content()
            : http::error_response(
                  std::make_exception_ptr(Error::unauthenticated("refresh token is not valid")),
                  request);
  response.headers.emplace_back("Set-Cookie", refresh_cookie(request, ""));
  co_return response;
}

async::Task<http::Response> AuthHandlers::list_sessions(http::Request& request) {
  auto claims = ctx_.verifier.authenticate(request);
  std::vector<SessionRecord> sessions;
  co_await db_.read([&](storage::Tx& tx) { sessions = store::live_sessions(tx, claims.sub); });
  bj::array items;
  for (const auto& s : sessions)
    items.push_back(bj::object{{"id", s.id}, {"created_at", s.created_at}, {"last_used_at", s.last_used_at},
                               {"user_agent", s.user_agent}, {"ip", s.ip}, {"current", s.id == claims.sid}});
  co_return http::Response::json(200, bj::object{{"items", items}, {"next_cursor", nullptr}});
}

async::Task<http::Response> AuthHandlers::revoke_session(http::Request& request) {
  auto claims = ctx_.verifier.authenticate(request);
  const std::string& id = request.param("id");
  bool revoked = false;
  co_await db_.write([&](storage::Tx& tx) {
    revoked = store::revoke_session(tx, id, claims.sub, time::format_rfc3339(time::now()));
    if (revoked)
      outbox_.add(tx, events::SessionRevoked{.session_id = id, .user_id = claims.sub, .reason = "revoked"});
  });
  if (!revoked) throw Error::not_found("no such session");
  co_await service::publish_now(ctx_, outbox_);
  co_return http::Response::no_content();
}

async::Task<http::Response> AuthHandlers::change_password(http::Request& request) {
  auto claims = ctx_.verifier.authenticate(request);
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"current_password", "new_password"});
  std::string current = json::required_string(body, "current_password");
  std::string next = json::required_string(body, "new_password");
  check_password(next, "new_password");
  std::optional<UserRecord> user;
  co_await db_.read([&](storage::Tx& tx) { user = store::find_user(tx, claims.sub); });
  if (!user) throw Error::unauthenticated("account no longer exists");
  std::string hash =
      co_await check_own_password(request, *user, current, [&] { return hasher_.hash(next); });
  co_await db_.write([&](storage::Tx& tx) {
    store::update_password(tx, claims.sub, hash);
    std::string now = time::format_rfc3339(time::now());
    for (const auto& s : store::live_sessions(tx, claims.sub)) {
      if (s.id == claims.sid) continue;
      store::revoke_session(tx, s.id, claims.sub, now);
      outbox_.add(tx, events::SessionRevoked{
                          .session_id = s.id, .user_id = claims.sub, .reason = "password_changed"});
    }
  });
  co_await service::publish_now(ctx_, outbox_);
  co_return http::Response::no_content();
}

async::Task<http::Response> AuthHandlers::delete_account(http::Request& request) {
  auto claims = ctx_.verifier.authenticate(request);
  auto body = request.json_body();
  json::reject_unknown_fields(body, {"password"});
  std::string password = json::required_string(body, "password");
  std::optional<UserRecord> user;
  co_await db_.read([&](storage::Tx& tx) { user = store::find_user(tx, claims.sub); });
  if (!user) throw Error::unauthenticated("account no longer exists");
  co_await check_own_password(request, *user, password, [] { return true; });
  co_await db_.write([&](storage::Tx& tx) {
    store::delete_user(tx, claims.sub, now_ms());
    outbox_.add(tx, events::UserDeleted{.user_id = claims.sub, .username = user->username});
  });
  co_await service::publish_now(ctx_, outbox_);
  auto response = http::Response::json(202, bj::object{{"status", "deleted"}});
  // A browser's refresh token dies with the account: let it forget the cookie too.
  if (is_web_client(request.header("x-parley-client")) ||
      http::request_cookie(request, kRefreshCookie))
    response.headers.emplace_back("Set-Cookie", refresh_cookie(request, ""));
  co_return response;
}

async::Task<http::Response> AuthHandlers::jwks(http::Request&) {
  co_return http::Response::json(200, bj::object{{"keys", bj::array{key_.jwk()}}});
}

async::Task<http::Response> AuthHandlers::internal_account(http::Request& request) {
  const std::string& user_id = request.param("user_id");
  int limit = service::list_limit(request);
  std::string after = service::decode_cursor(request);
  std::optional<UserRecord> user;
  storage::Page<SessionHistoryRecord> sessions;
  co_await db_.read([&](storage::Tx& tx) {
    user = store::find_user(tx, user_id);
    if (user) sessions = storage::page_of(store::session_history(tx, user_id, after, storage::rows_for_page(limit)), limit);
  });
  if (!user) throw Error::not_found("no such user");
  auto list = service::list_json(
      sessions,
      [](const SessionHistoryRecord& r) {
        const auto& s = r.session;
        return bj::object{{"id", s.id}, {"created_at", s.created_at}, {"last_used_at", s.last_used_at},
                          {"user_agent", s.user_agent}, {"ip", s.ip},
                          {"revoked_at", r.revoked_at ? bj::value(*r.revoked_at) : bj::value(nullptr)}};
      },
      [](const SessionHistoryRecord& r) { return r.session.id; });
  co_return http::Response::json(200, bj::object{{"user", user_json(*user)}, {"sessions", std::move(list["items"])},
                                                 {"next_cursor", std::move(list["next_cursor"])}});
}

async::Task<http::Response> AuthHandlers::internal_revocations(http::Request& request) {
  auto text = request.query_param("since");
  auto since = text ? time::parse_rfc3339(*text) : std::nullopt;
  if (!since) throw Error::invalid_argument("since must be an RFC 3339 time", "since");
  // Older revocations cover no token that still passes: no need to send them.
  auto as_of = time::now();
  auto oldest = as_of - ctx_.verifier.revocation_horizon();
  if (*since < oldest) since = oldest;
  store::Revocations recent;
  co_await db_.read([&](storage::Tx& tx) {
    recent = store::recent_revocations(tx, time::format_rfc3339(*since), time::to_unix_ms(*since));
  });
  bj::array sessions, users;
  for (auto& sid : recent.sessions) sessions.emplace_back(sid);
  for (auto& uid : recent.users) users.emplace_back(uid);
  co_return http::Response::json(200, bj::object{{"since", time::format_rfc3339(*since)},
                                                 {"as_of", time::format_rfc3339(as_of)},
                                                 {"sessions", std::move(sessions)},
                                                 {"users", std::move(users)}});
}

}  // namespace parley::auth
