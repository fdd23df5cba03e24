#include "service.hpp"

#include "contacts_service.hpp"
#include "parley/events/topology.hpp"

namespace parley::contacts {

ContactsService::ContactsService(service::Context& ctx)
    : ctx_(ctx), db_(ctx.open_database("contacts")), outbox_(*db_, ctx.bus, "contacts") {
  db_->migrate(contacts_migrations());
  service::watch(ctx.metrics, "contacts", *db_, outbox_);
  const auto& consumer = events::durable_consumer("contacts");
  ctx.bus.subscribe(consumer.name, consumer.patterns,
                    [this](const events::Event& e) { on_user_event(e); });
}

void ContactsService::on_user_event(const events::Event& e) {
  auto field = [&](const char* key) -> std::string {
    auto v = e.data.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  std::string user_id = field("user_id");
  if (user_id.empty()) throw std::invalid_argument(e.type + " without user_id");
  events::handle_once(*db_, e, [&](storage::Tx& tx) {
    if (e.type == "user.deleted") {
      store::erase_user(tx, user_id);
      return;
    }
    Person p{user_id, field("username"), field("display_name"), field("bio"), field("created_at")};
    if (p.display_name.empty()) p.display_name = p.username;
    store::upsert_person(tx, p);
  });
}

void ContactsService::add_routes(http::Router& router) {
  auto bind = [this](auto method) { return service::bind(this, method); };
  router.add("POST", "/api/v1/contacts/requests", bind(&ContactsService::send_request));
  router.add("GET", "/api/v1/contacts/requests", bind(&ContactsService::list_requests));
  router.add("POST", "/api/v1/contacts/requests/{id}/accept", bind(&ContactsService::accept_request));
  router.add("POST", "/api/v1/contacts/requests/{id}/decline", bind(&ContactsService::decline_request));
  router.add("DELETE", "/api/v1/contacts/requests/{id}", bind(&ContactsService::cancel_request));
  router.add("GET", "/api/v1/contacts", bind(&ContactsService::list_contacts));
  router.add("DELETE", "/api/v1/contacts/{user_id}", bind(&ContactsService::remove_contact));
  router.add("GET", "/api/v1/blocks", bind(&ContactsService::list_blocks));
  router.add("PUT", "/api/v1/blocks/{user_id}", bind(&ContactsService::block));
  router.add("DELETE", "/api/v1/blocks/{user_id}", bind(&ContactsService::unblock));
  service::add_internal_route(router, ctx_.service_credential, "GET", "/internal/v1/users/{user_id}/contacts",
                              bind(&ContactsService::internal_relations));
}

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<ContactsService>(ctx);
}

}  // namespace parley::contacts
