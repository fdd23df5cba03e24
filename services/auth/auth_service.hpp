#pragma once
// Private to the auth service: its state and handlers.

#include <boost/json/object.hpp>

#include "domain/password.hpp"
#include "domain/throttle.hpp"
#include "parley/events/outbox.hpp"
#include "parley/service/service.hpp"
#include "store/auth_store.hpp"

namespace parley::auth {

struct AuthOptions {
  std::chrono::seconds access_ttl{900};         // PARLEY_ACCESS_TOKEN_TTL_S
  std::chrono::hours refresh_ttl{24 * 30};      // PARLEY_REFRESH_TOKEN_TTL_DAYS
  PasswordParams password;                      // PARLEY_ARGON2_MEMORY_KIB, PARLEY_ARGON2_OPS
  std::size_t hash_threads = 2;                 // PARLEY_HASH_THREADS
  LoginThrottle::Options throttle;              // PARLEY_LOGIN_MAX_FAILURES, PARLEY_LOGIN_MAX_PER_IP
  static AuthOptions from_env();
};

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
};

class AuthService final : public service::Service {
 public:
  AuthService(service::Context& ctx, AuthOptions options);

  // service::Service
  std::string_view name() const override { return "auth"; }
  void add_routes(http::Router& router) override;
  void start() override;
  // The hashing pool first: logins still queued finish (and resume their requests) while the
  // server's I/O contexts exist; the pool's destructor would run them after those are gone.
  void stop() override {
    hash_pool_.join();
    outbox_.stop();
  }

 private:
  // handlers/auth_handlers.cpp
  async::Task<http::Response> register_user(http::Request& request);
  async::Task<http::Response> login(http::Request& request);
  async::Task<http::Response> refresh(http::Request& request);
  async::Task<http::Response> logout(http::Request& request);
  async::Task<http::Response> list_sessions(http::Request& request);
  async::Task<http::Response> revoke_session(http::Request& request);
  async::Task<http::Response> change_password(http::Request& request);
  async::Task<http::Response> delete_account(http::Request& request);
  async::Task<http::Response> jwks(http::Request& request);
  // internal (service credential only)
  async::Task<http::Response> internal_account(http::Request& request);

  // Starts a session for user inside tx and returns its first tokens.
  TokenPair start_session(storage::Tx& tx, const std::string& user_id, const http::Request& request);
  TokenPair rotate(storage::Tx& tx, const std::string& user_id, const std::string& session_id);
  boost::json::object token_body(const TokenPair& tokens) const;
  void throw_if_throttled(const std::string& account);
  // The public half of the signing key as a JWK Set file, for services in other processes
  // (PARLEY_JWKS_FILE); GET /api/v1/auth/jwks serves the same.
  void publish_jwks(const std::string& path) const;

  service::Context& ctx_;
  AuthOptions options_;
  std::unique_ptr<storage::Database> db_;
  events::Outbox outbox_;
  token::SigningKey key_;
  PasswordHasher hasher_;
  LoginThrottle throttle_;
  async::WorkerPool hash_pool_;
};

}  // namespace parley::auth
