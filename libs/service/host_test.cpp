#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "parley/async/run_blocking.hpp"
#include "parley/service/service.hpp"

namespace parley::service {
namespace {

// A database that answers, or is away (every call fails as MySQL does while its server is down).
class FakeDatabase final : public storage::Database {
 public:
  bool away = false;
  // storage::Database
  storage::Dialect dialect() const override { return storage::Dialect::mysql; }
  async::Task<void> write(std::function<void(storage::Tx&)>) override { co_return; }
  async::Task<void> read(std::function<void(storage::Tx&)>) override {
    if (away) throw storage::ConnectionLost("mysql: cannot connect");
    co_return;
  }
  void write_sync(std::function<void(storage::Tx&)>) override {}
  void read_sync(std::function<void(storage::Tx&)>) override {}
  std::size_t queued_writes() const override { return 0; }
  void migrate(const std::vector<storage::Migration>&) override {}
};

class FakeBus final : public events::EventBus {
 public:
  bool up = true;
  // events::EventBus
  void publish(const events::Event&) override {}
  void subscribe(std::string, std::vector<std::string>, events::EventHandler) override {}
  void subscribe_transient(std::string, std::vector<std::string>, events::EventHandler) override {}
  void start() override {}
  void stop() override {}
  bool connected() const override { return up; }
};

struct Readiness {
  int status;
  boost::json::value checks;
};

Readiness readyz(const http::Router& router) {
  http::Request request;
  request.method = "GET";
  request.path = "/readyz";
  auto response = async::run_blocking(router.dispatch(request));
  return {response.status, boost::json::parse(response.body).at("checks")};
}

TEST(Readyz, Is503WhileADatabaseOrTheBrokerIsAwayAnd200AfterWithoutARestart) {
  http::Metrics metrics;
  http::Router router(metrics);
  FakeDatabase users, messages;
  FakeBus bus;
  add_operations_routes(router, metrics, {}, {{"users", &users}, {"messages", &messages}}, bus);

  auto ready = readyz(router);
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.checks.at("database:messages").as_string(), "ok");
  EXPECT_EQ(ready.checks.at("broker").as_string(), "ok");

  messages.away = true;
  auto no_database = readyz(router);
  EXPECT_EQ(no_database.status, 503);
  EXPECT_EQ(no_database.checks.at("database:messages").as_string(), "unavailable");
  EXPECT_EQ(no_database.checks.at("database:users").as_string(), "ok");

  messages.away = false;
  bus.up = false;
  auto no_broker = readyz(router);
  EXPECT_EQ(no_broker.status, 503);
  EXPECT_EQ(no_broker.checks.at("broker").as_string(), "unavailable");

  bus.up = true;
  EXPECT_EQ(readyz(router).status, 200);
}

}  // namespace
}  // namespace parley::service
