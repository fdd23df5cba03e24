// The users service wired: its database and outbox, its handlers and their routes, its consumer.

#include "service.hpp"

#include "consumers/accounts_consumer.hpp"
#include "parley/events/topology.hpp"
#include "store/users_store.hpp"
#include "users_service.hpp"

namespace parley::users {

UsersService::UsersService(service::Context& ctx)
    : DatabaseService(ctx, "users", users_migrations()), handlers_(ctx, *db_, outbox_) {
  accounts_consumer().subscribe(ctx.bus, events::durable_consumer("users"), *db_);
}

void UsersService::add_routes(http::Router& router) {
  using H = UsersHandlers;
  service::add_routes(router, ctx_.service_credential, handlers_,
                      {{"GET", "/api/v1/users/me", &H::get_me},
                       {"PATCH", "/api/v1/users/me", &H::patch_me},
                       {"GET", "/api/v1/users/{id}", &H::get_user},
                       {"GET", "/api/v1/users", &H::search},
                       {"GET", "/internal/v1/users/{user_id}/profile", &H::internal_profile}});
}

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<UsersService>(ctx);
}

}  // namespace parley::users
