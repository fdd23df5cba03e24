// The contacts service wired: its database and outbox, its handlers and their routes, its consumer.

#include "service.hpp"

#include "consumers/directory_consumer.hpp"
#include "contacts_service.hpp"
#include "parley/events/topology.hpp"

namespace parley::contacts {

ContactsService::ContactsService(service::Context& ctx)
    : DatabaseService(ctx, "contacts", contacts_migrations()), handlers_(ctx, *db_, outbox_) {
  directory_consumer().subscribe(ctx.bus, events::durable_consumer("contacts"), *db_);
}

void ContactsService::add_routes(http::Router& router) {
  using H = ContactsHandlers;
  service::add_routes(router, ctx_.service_credential, handlers_,
                      {{"POST", "/api/v1/contacts/requests", &H::send_request},
                       {"GET", "/api/v1/contacts/requests", &H::list_requests},
                       {"POST", "/api/v1/contacts/requests/{id}/accept", &H::accept_request},
                       {"POST", "/api/v1/contacts/requests/{id}/decline", &H::decline_request},
                       {"DELETE", "/api/v1/contacts/requests/{id}", &H::cancel_request},
                       {"GET", "/api/v1/contacts", &H::list_contacts},
                       {"DELETE", "/api/v1/contacts/{user_id}", &H::remove_contact},
                       {"GET", "/api/v1/blocks", &H::list_blocks},
                       {"PUT", "/api/v1/blocks/{user_id}", &H::block},
                       {"DELETE", "/api/v1/blocks/{user_id}", &H::unblock},
                       {"GET", "/internal/v1/users/{user_id}/contacts", &H::internal_relations}});
}

std::unique_ptr<service::Service> make_service(service::Context& ctx) {
  return std::make_unique<ContactsService>(ctx);
}

}  // namespace parley::contacts
