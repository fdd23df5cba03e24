#include "parley/events/dispatcher.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "parley/events/in_process_bus.hpp"
#include "parley/events/outbox.hpp"
#include "parley/events/test_support.hpp"
#include "parley/http/metrics.hpp"
#include "parley/storage/test_support.hpp"

namespace parley::events {
namespace {

std::unique_ptr<storage::Database> open_db(const char* name) {
  auto db = storage::testing::open_fresh_sqlite(
      "dispatcher-test", name,
      {{1,
        "CREATE TABLE contacts (a TEXT NOT NULL, b TEXT NOT NULL);\n"
        "CREATE TABLE blocks (blocker TEXT NOT NULL, blocked TEXT NOT NULL);\n" +
            outbox_inbox_schema(storage::Dialect::sqlite),
        ""}});
  return db;
}

std::int64_t count(storage::Database& db, const std::string& table) {
  std::int64_t n = 0;
  db.read_sync(
      [&](storage::Tx& tx) { n = tx.query("SELECT COUNT(*) FROM " + table)[0].integer(0); });
  return n;
}

// A consumer of contacts and blocks, as the messages service's replica is: the effect of a
// contact.accepted writes two rows, one per direction.
Dispatcher replica() {
  Dispatcher d;
  d.on<ContactAccepted>([](storage::Tx& tx, const ContactAccepted& e) {
    tx.exec("INSERT INTO contacts (a, b) VALUES (?, ?)", {e.from_user_id, e.to_user_id});
    tx.exec("INSERT INTO contacts (a, b) VALUES (?, ?)", {e.to_user_id, e.from_user_id});
  });
  d.on<BlockAdded>([](storage::Tx& tx, const BlockAdded& e) {
    tx.exec("INSERT INTO blocks (blocker, blocked) VALUES (?, ?)", {e.blocker_id, e.blocked_id});
  });
  return d;
}
const DurableConsumer kRow{"replica", {"contact.accepted", "block.added"}};

TEST(Dispatcher, CallsTheHandlerOfEachEventsTypeOncePerEvent) {
  auto db = open_db("dispatch.db");
  InProcessBus bus({});
  replica().subscribe(bus, kRow, *db);
  Event accepted = make_event(ContactAccepted{"r1", "alice", "bob", "2025-01-01T00:00:00.000Z"});
  bus.publish(accepted);
  bus.publish(accepted);  // redelivered: applied once
  bus.publish(make_event(BlockAdded{"carol", "dave"}));
  EXPECT_EQ(count(*db, "contacts"), 2);
  EXPECT_EQ(count(*db, "blocks"), 1);
  EXPECT_EQ(count(*db, "inbox"), 2);
  EXPECT_EQ(bus.dead_lettered(), 0u);

  // The same event again as an older build wrote it (here: a field this one requires is gone):
  // applied already, so dropped as a duplicate, not dead-lettered; one never handled is poison.
  Event again = accepted;
  again.data.erase("since");
  bus.publish(again);
  EXPECT_EQ(bus.dead_lettered(), 0u);
  EXPECT_EQ(count(*db, "contacts"), 2);
  Event other = make_event(ContactAccepted{"r2", "carol", "dave", "2025-01-01T00:00:00.000Z"});
  other.data.erase("since");
  bus.publish(other);
  EXPECT_EQ(bus.dead_lettered(), 1u);
}

TEST(Dispatcher, DeadLettersAMalformedEventAtOnceWithoutApplyingAnyOfIt) {
  auto db = open_db("malformed.db");
  http::Metrics metrics;
  InProcessBus bus({.max_attempts = 5, .retry_backoff = std::chrono::milliseconds(1)}, &metrics);
  int deliveries = 0;
  EventHandler handler = replica().handler(*db);
  bus.subscribe(kRow.name, kRow.patterns, [&](const Event& e) {
    ++deliveries;
    handler(e);
  });
  // to_user_id missing, to_user_id null, from_user_id a number
  std::vector<testing::Malformed> cases{
      {"contact.accepted", {{"request_id", "r1"}, {"from_user_id", "alice"}, {"since", "t"}}, "to_user_id"},
      {"contact.accepted",
       {{"request_id", "r1"}, {"from_user_id", "alice"}, {"to_user_id", nullptr}, {"since", "t"}},
       "to_user_id"},
      {"contact.accepted",
       {{"request_id", "r1"}, {"from_user_id", 7}, {"to_user_id", "bob"}, {"since", "t"}},
       "from_user_id"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Event bad = Event::make(cases[i].type, "contacts", cases[i].data);
    EXPECT_NO_THROW(bus.publish(bad)) << cases[i].field << ": the publisher and the process go on";
    EXPECT_EQ(deliveries, static_cast<int>(i) + 1) << cases[i].field << ": no retries";
    auto dead = bus.dead_letters();
    ASSERT_EQ(dead.size(), i + 1);
    EXPECT_EQ(dead.back().consumer, "replica");
    EXPECT_EQ(dead.back().event.id, bad.id);
    EXPECT_NE(dead.back().error.find(cases[i].field), std::string::npos) << dead.back().error;
  }
  EXPECT_EQ(count(*db, "contacts"), 0) << "nothing of it applied, not even the first direction";
  EXPECT_EQ(count(*db, "inbox"), 0) << "not recorded as handled: a corrected event still applies";
  EXPECT_EQ(bus.dead_lettered(), cases.size());
  EXPECT_EQ(metrics.counter("parley_events_dead_lettered_total", "").load(), cases.size());

  bus.publish(make_event(ContactAccepted{"r2", "alice", "bob", "2025-01-01T00:00:00.000Z"}));
  EXPECT_EQ(count(*db, "contacts"), 2) << "the consumer goes on with the next event";
}

// An effect that fails half-way is rolled back: retried when another try may pass, dead-lettered
// at once when it refuses the event itself (an empty id: require_non_empty).
TEST(Dispatcher, AnEffectThatFailsHalfWayIsRolledBackThenRetriedOrDeadLettered) {
  auto db = open_db("rollback.db");
  InProcessBus bus({.max_attempts = 3, .retry_backoff = std::chrono::milliseconds(1)});
  int tries = 0, block_runs = 0;
  Dispatcher d;
  d.on<ContactAccepted>([&](storage::Tx& tx, const ContactAccepted& e) {
    tx.exec("INSERT INTO contacts (a, b) VALUES (?, ?)", {e.from_user_id, e.to_user_id});
    if (++tries < 2) throw std::runtime_error("transient");
    tx.exec("INSERT INTO contacts (a, b) VALUES (?, ?)", {e.to_user_id, e.from_user_id});
  });
  d.on<BlockAdded>([&](storage::Tx& tx, const BlockAdded& e) {
    ++block_runs;
    tx.exec("INSERT INTO blocks (blocker, blocked) VALUES (?, ?)", {e.blocker_id, e.blocked_id});
    require_non_empty(e.kType, "blocked_id", e.blocked_id);
  });
  d.subscribe(bus, kRow, *db);
  bus.publish(make_event(ContactAccepted{"r1", "alice", "bob", "t"}));
  EXPECT_EQ(tries, 2);
  EXPECT_EQ(count(*db, "contacts"), 2);
  EXPECT_EQ(bus.dead_lettered(), 0u);

  bus.publish(make_event(BlockAdded{"carol", ""}));
  EXPECT_EQ(block_runs, 1) << "not retried";
  EXPECT_EQ(bus.dead_lettered(), 1u);
  EXPECT_EQ(count(*db, "blocks"), 0) << "the row written before the check is rolled back";
  EXPECT_EQ(count(*db, "inbox"), 1) << "only the contact.accepted";
}

TEST(Dispatcher, MustHandleExactlyTheTypesItsTopologyRowRoutesToIt) {
  auto db = open_db("row.db");
  InProcessBus bus({});
  struct Case {
    std::string what;
    DurableConsumer row;
    std::string named;  // the type the error names
  };
  std::vector<Case> cases{
      {"a routed type without a handler",
       {"replica", {"contact.accepted", "block.added", "block.removed"}},
       "block.removed"},
      {"a handler for a type not routed", {"replica", {"contact.accepted"}}, "block.added"},
  };
  for (const auto& c : cases) {
    try {
      replica().subscribe(bus, c.row, *db);
      ADD_FAILURE() << c.what << " accepted";
    } catch (const std::logic_error& e) {
      EXPECT_NE(std::string(e.what()).find(c.named), std::string::npos) << e.what();
    }
  }
  Dispatcher twice = replica();
  EXPECT_THROW(twice.on<BlockAdded>([](storage::Tx&, const BlockAdded&) {}), std::logic_error);
  EXPECT_EQ(replica().types(), (std::vector<std::string>{"contact.accepted", "block.added"}));
}

TEST(Dispatcher, IgnoresATypeItHasNoHandlerFor) {
  auto db = open_db("ignored.db");
  // An older version's binding may still route such events to the queue.
  EXPECT_NO_THROW(replica().handler(*db)(make_event(BlockRemoved{"a", "b"})));
  EXPECT_EQ(count(*db, "inbox"), 0);
}

TEST(TransientDispatcher, HandsEachEventTypedAndRefusesAMalformedOne) {
  InProcessBus bus({});
  std::vector<std::string> revoked;
  TransientDispatcher d;
  d.on<SessionRevoked>([&](const SessionRevoked& e) { revoked.push_back(e.session_id); });
  d.on<UserDeleted>([&](const UserDeleted& e) { revoked.push_back("user " + e.user_id); });
  d.subscribe(bus, "verifier");
  bus.publish(make_event(SessionRevoked{"s1", "u1", "logout"}));
  bus.publish(Event::make("session.revoked", "auth", {{"user_id", "u1"}}));  // no session_id
  bus.publish(make_event(UserDeleted{"u2", "bob"}));
  EXPECT_EQ(revoked, (std::vector<std::string>{"s1", "user u2"}));
  ASSERT_EQ(bus.dead_letters().size(), 1u);
  EXPECT_NE(bus.dead_letters()[0].error.find("session_id"), std::string::npos);
  EXPECT_THROW(d.handler()(Event::make("session.revoked", "auth", {})), MalformedEvent);
}

}  // namespace
}  // namespace parley::events
