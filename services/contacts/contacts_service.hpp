#pragma once
// Private to the contacts service: its parts (database and outbox, handlers) and its consumer.

#include "handlers/contacts_handlers.hpp"
#include "parley/service/database_service.hpp"

namespace parley::contacts {

class ContactsService final : public service::DatabaseService {
 public:
  explicit ContactsService(service::Context& ctx);

  // service::Service
  void add_routes(http::Router& router) override;

 private:
  // consumers: the user directory replica
  void on_user_event(const events::Event& event);

  ContactsHandlers handlers_;
};

}  // namespace parley::contacts
