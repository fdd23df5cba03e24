#pragma once
// The users service's HTTP handlers: profiles (/api/v1/users) and the internal profile read. Each
// parses and validates its request, calls the domain and the store, and answers.

#include "domain/profile.hpp"
#include "parley/events/outbox.hpp"
#include "parley/service/service.hpp"

namespace parley::users {

class UsersHandlers {
 public:
  // REQUIRES: ctx, db and outbox outlive the handlers.
  UsersHandlers(service::Context& ctx, storage::Database& db, events::Outbox& outbox);
  UsersHandlers(const UsersHandlers&) = delete;
  UsersHandlers& operator=(const UsersHandlers&) = delete;

  // Under /api/v1/users:
  async::Task<http::Response> get_me(http::Request& request);    // GET /me
  async::Task<http::Response> patch_me(http::Request& request);  // PATCH /me
  async::Task<http::Response> get_user(http::Request& request);  // GET /{id}
  async::Task<http::Response> search(http::Request& request);    // GET ?query=
  // GET /internal/v1/users/{user_id}/profile (service credential only): the whole profile,
  // dm_policy included.
  async::Task<http::Response> internal_profile(http::Request& request);

 private:
  // The profile of id; throws 404 not_found when there is none.
  async::Task<Profile> load(std::string id);

  service::Context& ctx_;
  storage::Database& db_;
  events::Outbox& outbox_;
};

}  // namespace parley::users
