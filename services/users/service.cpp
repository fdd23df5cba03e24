// The users service wired: its database and outbox, its handlers and their routes, its consumer.

#include "service.hpp"

#include "parley/events/topology.hpp"
#include "store/users_store.hpp"
#include "users_service.hpp"

namespace parley::users {

UsersService::UsersService(service::Context& ctx)
    : DatabaseService(ctx, "users", users_migrations()), handlers_(ctx, *db_, outbox_) {
  const auto& consumer = events::durable_consumer("users");
  ctx.bus.subscribe(consumer.name, consumer.patterns,
                    [this](const events::Event& e) { on_event(e); });
}

void UsersService::on_event(const events::Event& e) {
    events::handle_once(*db_, e, [&](storage::Tx& tx) {
      auto field = [&](const char* key) -> std::string {
        auto v = e.data.if_contains(key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
      };
      if (e.type == "user.registered") {
        Profile p;
        p.id = field("user_id");
        p.username = field("username");
        p.display_name = field("display_name");
        p.created_at = field("created_at");
        if (p.id.empty() || p.username.empty()) throw std::invalid_argument("user.registered without user_id or username");
        if (p.display_name.empty()) p.display_name = p.username;
        store::insert(tx, p);
      } else if (e.type == "user.deleted") {
        store::remove(tx, field("user_id"));
      }
    });
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
