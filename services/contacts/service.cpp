#include "service.hpp"

#include "consumers/directory_consumer.hpp"
#include "contacts_service.hpp"
#include "parley/events/topology.hpp"

namespace parley::contacts {

ContactsService::ContactsService(service::Context& ctx)
    : ctx_(ctx), db_(ctx.open_database("contacts")), outbox_(*db_, ctx.bus, "contacts") {
  db_->migrate(contacts_migrations());
  service::watch(ctx.metrics, "contacts", *db_, outbox_);
  directory_consumer().subscribe(ctx.bus, events::durable_consumer("contacts"), *db_);
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
