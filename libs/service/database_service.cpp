#include "parley/service/database_service.hpp"

namespace parley::service {

DatabaseService::DatabaseService(Context& ctx, std::string name,
                                 const std::vector<storage::Migration>& migrations)
    : ctx_(ctx),
      db_(ctx.open_database(name)),
      outbox_(*db_, ctx.bus, name),
      name_(std::move(name)) {
  db_->migrate(migrations);
  watch(ctx.metrics, name_, *db_, outbox_);
}

}  // namespace parley::service
