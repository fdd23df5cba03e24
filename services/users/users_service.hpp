#pragma once
// Private to the users service: its parts (database and outbox, handlers).

#include "handlers/users_handlers.hpp"
#include "parley/service/database_service.hpp"

namespace parley::users {

class UsersService final : public service::DatabaseService {
 public:
  explicit UsersService(service::Context& ctx);

  // service::Service
  void add_routes(http::Router& router) override;

 private:
  UsersHandlers handlers_;
};

}  // namespace parley::users
