#pragma once
// The auth service's HTTP handlers: accounts, sessions and tokens (/api/v1/auth), and the internal
// reads of an account and of recent revocations. Each parses and validates its request, calls the
// domain rules and the store, and answers. The password hashing runs on pools of their own.

#include <boost/json/object.hpp>

#include "domain/password.hpp"
#include "domain/throttle.hpp"
#include "domain/web_session.hpp"
#include "parley/events/outbox.hpp"
#include "parley/service/service.hpp"
#include "store/auth_store.hpp"

namespace parley::auth {

// The auth service's settings (read from the environment at start-up by from_env, in service.cpp).
struct AuthOptions {
  std::chrono::seconds access_ttl{900};     // PARLEY_ACCESS_TOKEN_TTL_S
  std::chrono::hours refresh_ttl{24 * 30};  // PARLEY_REFRESH_TOKEN_TTL_DAYS
  PasswordParams password;                  // PARLEY_ARGON2_MEMORY_KIB, PARLEY_ARGON2_OPS
  std::size_t hash_threads = 2;             // PARLEY_HASH_THREADS
  GuessOptions guesses;                     // PARLEY_LOGIN_MAX_FAILURES (free failures)
  int login_max_per_address = 100;          // PARLEY_LOGIN_MAX_PER_IP, per minute
  int register_max_per_address = 100;       // PARLEY_REGISTER_MAX_PER_IP, per hour
  CookieSecure cookie_secure = CookieSecure::automatic;  // PARLEY_COOKIE_SECURE
  bool trust_proxy = false;  // PARLEY_TRUST_PROXY: believe X-Forwarded-Proto
  static AuthOptions from_env();
};

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
};

class AuthHandlers {
 public:
  // REQUIRES: ctx, db, outbox and key outlive the handlers.
  AuthHandlers(service::Context& ctx, storage::Database& db, events::Outbox& outbox,
               const token::SigningKey& key, const AuthOptions& options);
  AuthHandlers(const AuthHandlers&) = delete;
  AuthHandlers& operator=(const AuthHandlers&) = delete;

  // Finishes the password checks queued on the hashing pools, resuming their requests. REQUIRES:
  // called while the server's I/O contexts exist (the pools' destructors would run them later).
  void stop() {
    login_hash_pool_.join();
    hash_pool_.join();
  }

  // Under /api/v1/auth/:
  async::Task<http::Response> register_user(http::Request& request);    // POST register
  async::Task<http::Response> login(http::Request& request);            // POST login
  async::Task<http::Response> refresh(http::Request& request);          // POST refresh
  async::Task<http::Response> logout(http::Request& request);           // POST logout
  async::Task<http::Response> list_sessions(http::Request& request);    // GET sessions
  async::Task<http::Response> revoke_session(http::Request& request);   // DELETE sessions/{id}
  async::Task<http::Response> change_password(http::Request& request);  // POST password
  async::Task<http::Response> delete_account(http::Request& request);   // DELETE account
  async::Task<http::Response> jwks(http::Request& request);             // GET jwks
  // internal (service credential only)
  // GET /internal/v1/users/{user_id}/account: the account and its sessions, live or revoked.
  async::Task<http::Response> internal_account(http::Request& request);
  // GET /internal/v1/revocations: sessions revoked and accounts deleted since ?since= (RFC 3339),
  // for a verifier in another process that may have missed their events
  // (service::RevocationCatchUp).
  async::Task<http::Response> internal_revocations(http::Request& request);

 private:
  // Starts a session for user inside tx and returns its first tokens.
  TokenPair start_session(storage::Tx& tx, const std::string& user_id,
                          const http::Request& request);
  TokenPair rotate(storage::Tx& tx, const std::string& user_id, const std::string& session_id);
  // The token answer; without refresh_token for a browser, which gets it as a cookie.
  boost::json::object token_body(const TokenPair& tokens, bool with_refresh_token = true) const;
  // Spends a refresh token for the next pair; throws 401 when it is unknown, expired or
  // revoked, and when it was spent before (then its whole session is revoked: theft detection).
  async::Task<TokenPair> redeem_refresh(const std::string& token);
  // Revokes the session of a refresh token; false when no session has this token.
  async::Task<bool> revoke_by_refresh(const std::string& token);

  // The refresh token of a refresh or logout request: from its JSON body, or else from the
  // browser's cookie, which only a request passing cookie_refusal's guard may use (403).
  struct PresentedToken {
    std::string token;
    bool from_cookie = false;
  };
  PresentedToken presented_refresh_token(const http::Request& request) const;
  // The Set-Cookie value that gives the browser its refresh token, or with "" takes it away.
  std::string refresh_cookie(const http::Request& request, const std::string& token) const;
  // True for a request the trusted gateway received over HTTPS (X-Forwarded-Proto).
  bool came_over_https(const http::Request& request) const;
  // Checks a password of the signed-in account (password change, account deletion) on the
  // hashing pool, throttled like logins per account and client address; then, if it is right,
  // runs then_fn there too. Throws 401 invalid_credentials when it is wrong, 429 when throttled.
  template <class Then>
  async::Task<std::invoke_result_t<Then&>> check_own_password(const http::Request& request,
                                                              const UserRecord& user,
                                                              const std::string& password,
                                                              Then then_fn);

  service::Context& ctx_;
  storage::Database& db_;
  events::Outbox& outbox_;
  const token::SigningKey& key_;
  AuthOptions options_;
  PasswordHasher hasher_;
  GuessThrottle guesses_;
  RateWindow login_addresses_;
  RateWindow registrations_;
  // Logins hash on a pool of their own, so that a flood of registrations (or password changes)
  // filling the other pool's queue cannot refuse them.
  async::WorkerPool hash_pool_;
  async::WorkerPool login_hash_pool_;
};

}  // namespace parley::auth
