#pragma once
// The base of a service with a database of its own and an outbox for the events its writes
// commit: what every Parley service has. A service derives from it, builds its handlers on db_ and
// outbox_, and subscribes its consumers in its constructor.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parley/events/outbox.hpp"
#include "parley/service/service.hpp"
#include "parley/storage/database.hpp"

namespace parley::service {

class DatabaseService : public Service {
 public:
  DatabaseService(const DatabaseService&) = delete;
  DatabaseService& operator=(const DatabaseService&) = delete;

  // Service
  std::string_view name() const override { return name_; }
  // Starts the outbox's relay. A service with more to start calls this last.
  void start() override { outbox_.start(); }
  // Stops the outbox's relay, relaying what is committed. A service with more to stop calls this
  // last: its handlers may still commit events until their own work has stopped.
  void stop() override { outbox_.stop(); }

 protected:
  // Opens the database named for the service (ctx.open_database), applies migrations, and
  // registers the gauges of the database and the outbox (watch). Throws what opening or migrating
  // throws.
  DatabaseService(Context& ctx, std::string name,
                  const std::vector<storage::Migration>& migrations);

  Context& ctx_;
  std::unique_ptr<storage::Database> db_;  // never null
  events::Outbox outbox_;                  // the outbox's producer is the service's name

 private:
  std::string name_;
};

}  // namespace parley::service
