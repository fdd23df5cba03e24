#pragma once
// Private to the contacts service: its parts (database and outbox, handlers).

#include "handlers/contacts_handlers.hpp"
#include "parley/service/database_service.hpp"

namespace parley::contacts {

class ContactsService final : public service::DatabaseService {
 public:
  explicit ContactsService(service::Context& ctx);

  // service::Service
  void add_routes(http::Router& router) override;

 private:
  ContactsHandlers handlers_;
};

}  // namespace parley::contacts
