#pragma once
// Private to the auth service: its parts (database and outbox, signing key, handlers).

#include "handlers/auth_handlers.hpp"
#include "parley/service/database_service.hpp"

namespace parley::auth {

class AuthService final : public service::DatabaseService {
 public:
  AuthService(service::Context& ctx, const AuthOptions& options);

  // service::Service
  void add_routes(http::Router& router) override;
  // Refuses again what was revoked while this process was not running, then relays events.
  void start() override;
  // The hashing pools first: logins still queued finish (and resume their requests) while the
  // server's I/O contexts exist; the pools' destructors would run them after those are gone.
  void stop() override {
    handlers_.stop();
    DatabaseService::stop();
  }

 private:
  // The public half of the signing key as a JWK Set file, for services in other processes
  // (PARLEY_JWKS_FILE); GET /api/v1/auth/jwks serves the same.
  void publish_jwks(const std::string& path) const;

  token::SigningKey key_;
  AuthHandlers handlers_;
};

}  // namespace parley::auth
