#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "parley/async/run_blocking.hpp"
#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"
#include "parley/service/database_service.hpp"
#include "parley/service/service.hpp"

namespace parley::service {
namespace {

// A database that answers, or is away (every call fails as MySQL does while its server is down).
class FakeDatabase final : public storage::Database {
 public:
  bool away = false;
  std::vector<int> migrated;  // the versions migrate() was given
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
  void migrate(const std::vector<storage::Migration>& migrations) override {
    for (const auto& m : migrations) migrated.push_back(m.version);
  }
};

class FakeBus final : public events::EventBus {
 public:
  bool up = true;
  events::EventHandler transient;  // the last transient subscription's handler
  // events::EventBus
  void publish(const events::Event&) override {}
  void subscribe(std::string, std::vector<std::string>, events::EventHandler) override {}
  void subscribe_transient(std::string, std::vector<std::string>, events::EventHandler handler,
                           std::function<void()>) override {
    transient = std::move(handler);
  }
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

class Notes final : public DatabaseService {
 public:
  explicit Notes(Context& ctx) : DatabaseService(ctx, "notes", {{1, "", ""}, {2, "", ""}}) {}
  void add_routes(http::Router&) override {}
  storage::Database& db() { return *db_; }
};

TEST(DatabaseService, OpensTheDatabaseNamedForTheServiceMigratesItAndWatchesItAndItsOutbox) {
  crypto::init();
  http::Metrics metrics;
  FakeBus bus;
  token::Verifier verifier({});
  ServiceCredential credential("0123456789abcdef-the-shared-secret");
  async::WorkerPool blocking({.name = "blocking", .threads = 1});
  std::vector<std::string> opened;
  FakeDatabase* database = nullptr;
  Context ctx{.data_dir = "",
              .bus = bus,
              .verifier = verifier,
              .service_credential = credential,
              .metrics = metrics,
              .blocking = blocking,
              .open_database = [&](const std::string& service) {
                opened.push_back(service);
                auto db = std::make_unique<FakeDatabase>();
                database = db.get();
                return db;
              }};
  Notes notes(ctx);
  EXPECT_EQ(notes.name(), "notes");
  EXPECT_EQ(opened, std::vector<std::string>{"notes"});
  EXPECT_EQ(&notes.db(), database);
  EXPECT_EQ(database->migrated, (std::vector<int>{1, 2}));
  std::string rendered = metrics.render();
  EXPECT_NE(rendered.find(R"(parley_db_write_queue{service="notes"})"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find(R"(parley_outbox_depth{service="notes"})"), std::string::npos) << rendered;
}

// A verifier fed by subscribe_revocations over a FakeBus, and a token of session-1 (user-1)
// issued now for lifetime.
struct Revocations {
  explicit Revocations(std::chrono::seconds lifetime) {
    crypto::init();
    auto key = token::SigningKey::from_seed("k1", std::string(32, '\x07'));
    verifier.add_key(key.kid(), key.public_key());
    subscribe_revocations(bus, verifier, "verifier", [this] { ++catch_ups; });
    token::Claims claims;
    claims.sub = "user-1";
    claims.sid = "session-1";
    claims.iss = "parley";
    claims.aud = "parley";
    claims.iat = time::to_unix_ms(issued) / 1000;
    claims.nbf = claims.iat;
    claims.exp = claims.iat + lifetime.count();
    jwt = key.sign(claims);
  }
  token::Verifier verifier{token::Verifier::Options{}};
  FakeBus bus;
  int catch_ups = 0;  // times the subscription asked auth for the revocations
  time::TimePoint issued = time::now();
  std::string jwt;
};

// Issue #14, finding 8: with the longest access-token lifetime, a revoked token must stay refused
// until it expires for good (exp plus the verifier's leeway), not come back in its last 30 s.
TEST(SubscribeRevocations, KeepsARevocationUntilTheLongestLivedTokenHasExpiredWithItsLeeway) {
  Revocations r(token::kMaxAccessTokenLifetime);
  ASSERT_TRUE(r.bus.transient);
  r.bus.transient(events::Event::make("session.revoked", "auth",
                                      {{"session_id", "session-1"}, {"user_id", "user-1"}}));
  for (auto after :
       {std::chrono::seconds(1), token::kMaxAccessTokenLifetime - std::chrono::seconds(1),
        token::kMaxAccessTokenLifetime + std::chrono::seconds(15),
        token::kMaxAccessTokenLifetime + std::chrono::seconds(28)})
    EXPECT_THROW(r.verifier.verify(r.jwt, r.issued + after), Error) << after.count() << " s after";
  EXPECT_EQ(r.catch_ups, 0);
}

// A revocation this build cannot read (here a newer version) still refuses the session it
// names, and asks auth for the revocations (on_bound), instead of letting the token through.
TEST(SubscribeRevocations, ARevocationItCannotReadStillRefusesItsSessionAndAsksAuth) {
  Revocations r(std::chrono::seconds(600));
  ASSERT_TRUE(r.bus.transient);
  EXPECT_NO_THROW(r.verifier.verify(r.jwt, r.issued));
  auto newer = events::Event::make("session.revoked", "auth", {{"session_id", "session-1"}, {"ended_by", "x"}});
  newer.version = events::SessionRevoked::kVersion + 1;
  EXPECT_THROW(r.bus.transient(newer), events::MalformedEvent);  // the bus logs and counts it
  EXPECT_THROW(r.verifier.verify(r.jwt, r.issued), Error);
  EXPECT_EQ(r.catch_ups, 1);

  // One that names no user revokes nothing it cannot know, and still asks auth.
  auto nameless = events::Event::make("user.deleted", "auth", {{"id", "user-2"}});
  EXPECT_THROW(r.bus.transient(nameless), events::MalformedEvent);
  EXPECT_EQ(r.catch_ups, 2);
}

}  // namespace
}  // namespace parley::service
