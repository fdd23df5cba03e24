#include "parley/events/outbox.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <utility>

#include "parley/events/in_process_bus.hpp"
#include "parley/events/test_support.hpp"
#include "parley/storage/test_support.hpp"

namespace parley::events {
namespace {

// Event types of these tests only: the outbox takes the catalog's types, and those a test
// declares for itself (kTestOnly).
PARLEY_TEST_EVENT(ThingCreated, "thing.created");
PARLEY_EMPTY_TEST_EVENT(RolledBack, "rolled.back");
PARLEY_EMPTY_TEST_EVENT(Committed, "committed");
PARLEY_EMPTY_TEST_EVENT(WhileDown, "while.down");
PARLEY_EMPTY_TEST_EVENT(After, "after");
PARLEY_EMPTY_TEST_EVENT(First, "first");
PARLEY_EMPTY_TEST_EVENT(Second, "second");
PARLEY_EMPTY_TEST_EVENT(Poison, "poison");
PARLEY_EMPTY_TEST_EVENT(Late, "late");

std::string temp_db(const char* name) { return storage::testing::fresh_sqlite_path("outbox-test", name); }

std::vector<storage::Migration> schema() {
  return {{1, "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);\n" +
                  outbox_inbox_schema(storage::Dialect::sqlite), ""}};
}

TEST(Outbox, CrashBeforeRelayLosesNothing) {
  auto path = temp_db("producer.db");
  {
    // The state change and its event commit together; the process "crashes" before relaying
    // (the outbox is never started, so nothing is published).
    auto db = storage::open_sqlite({.path = path, .synchronous_full = false});
    db->migrate(schema());
    InProcessBus bus({});
    Outbox outbox(*db, bus, "test");
    db->write_sync([&](storage::Tx& tx) {
      tx.exec("INSERT INTO counters (name, value) VALUES ('a', 1)");
      outbox.add(tx, ThingCreated{1});
      outbox.add(tx, ThingCreated{2});
    });
    EXPECT_EQ(outbox.pending(), 2);
  }
  // Restart: the relay publishes what was left, in order.
  auto db = storage::open_sqlite({.path = path, .synchronous_full = false});
  db->migrate(schema());
  InProcessBus bus({});
  std::vector<std::int64_t> received;
  bus.subscribe("c", {"thing.*"}, [&](const Event& e) { received.push_back(e.data.at("n").as_int64()); });
  Outbox outbox(*db, bus, "test");
  outbox.flush();
  EXPECT_EQ(received, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(outbox.pending(), 0);
}

TEST(Outbox, RelayWakesAfterCommitAndNotOnRollback) {
  auto db = storage::open_sqlite({.path = temp_db("wake.db"), .synchronous_full = false});
  db->migrate(schema());
  InProcessBus bus({});
  std::atomic<int> received{0};
  bus.subscribe("c", {"#"}, [&](const Event&) { ++received; });
  Outbox outbox(*db, bus, "test", {.poll_interval = std::chrono::hours(1)});
  outbox.start();
  EXPECT_THROW(db->write_sync([&](storage::Tx& tx) {
                 outbox.add(tx, RolledBack{});
                 throw std::runtime_error("abort");
               }),
               std::runtime_error);
  db->write_sync([&](storage::Tx& tx) { outbox.add(tx, Committed{}); });
  for (int i = 0; i < 200 && received == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  outbox.stop();
  EXPECT_EQ(received, 1);  // woken by the commit, long before the one-hour poll
}

// A bus that refuses every event while down, as RabbitBus does while the broker is away.
// on_first_publish runs once, before the first event is taken.
class FlakyBus final : public EventBus {
 public:
  std::atomic<bool> down{false};
  std::atomic<int> attempts{0};
  std::vector<std::string> published;
  std::function<void()> on_first_publish;
  std::string refused;  // a type the broker always refuses
  // EventBus
  void publish(const Event& e) override {
    ++attempts;
    if (auto f = std::exchange(on_first_publish, nullptr)) f();
    if (down) throw std::runtime_error("rabbitmq: cannot connect");
    if (e.type == refused) throw std::runtime_error("rabbitmq: the broker refused an event");
    published.push_back(e.type);
  }
  void subscribe(std::string, std::vector<std::string>, EventHandler) override {}
  void subscribe_transient(std::string, std::vector<std::string>, EventHandler,
                           std::function<void()>) override {}
  void start() override {}
  void stop() override {}
};

TEST(Outbox, TryFlushNeverThrowsAndKeepsTheEventsWhileTheBusIsDown) {
  auto db = storage::open_sqlite({.path = temp_db("try-flush.db"), .synchronous_full = false});
  db->migrate(schema());
  FlakyBus bus;
  Outbox outbox(*db, bus, "test");
  bus.down = true;
  db->write_sync([&](storage::Tx& tx) { outbox.add(tx, WhileDown{}); });
  EXPECT_NO_THROW(outbox.try_flush());  // a committed change is not reported as a failure
  EXPECT_EQ(bus.attempts, 1);
  EXPECT_EQ(outbox.pending(), 1);
  EXPECT_NO_THROW(outbox.try_flush());  // the relay is failing: no second wait on the bus
  EXPECT_EQ(bus.attempts, 1);
  bus.down = false;
  outbox.flush();  // what the relay thread does on its next round
  EXPECT_EQ(bus.published, (std::vector<std::string>{"while.down"}));
  db->write_sync([&](storage::Tx& tx) { outbox.add(tx, After{}); });
  outbox.try_flush();  // healthy again: published before the caller answers
  EXPECT_EQ(bus.published.back(), "after");
  EXPECT_EQ(outbox.pending(), 0);
}

// A batch the bus did not take whole: the events before the one it refuses go out (and are
// deleted) rather than being published again and again; that one and the rest stay.
TEST(Outbox, WhenTheBusRefusesAnEventTheOnesBeforeItAreStillRelayed) {
  auto db = storage::open_sqlite({.path = temp_db("refused.db"), .synchronous_full = false});
  db->migrate(schema());
  FlakyBus bus;
  bus.refused = "poison";
  Outbox outbox(*db, bus, "test");
  db->write_sync([&](storage::Tx& tx) {
    outbox.add(tx, First{});
    outbox.add(tx, Second{});
    outbox.add(tx, Poison{});
    outbox.add(tx, After{});
  });
  EXPECT_THROW(outbox.flush(), std::runtime_error);
  EXPECT_EQ(outbox.pending(), 2);  // poison and what follows it
  bus.published.clear();
  EXPECT_THROW(outbox.flush(), std::runtime_error);
  EXPECT_TRUE(bus.published.empty()) << "first and second were published again";
  bus.refused.clear();
  outbox.flush();
  EXPECT_EQ(bus.published, (std::vector<std::string>{"poison", "after"}));
  EXPECT_EQ(outbox.pending(), 0);
}

// Replicas sharing one MySQL database draw outbox seqs when they insert but commit in any order:
// a row with a lower seq than those just relayed can become visible during the relay. It must
// stay for the next round, not be deleted unpublished.
TEST(Outbox, ARowCommittedBelowTheRelayedOnesIsPublishedNotDeleted) {
  auto db = storage::open_sqlite({.path = temp_db("late-commit.db"), .synchronous_full = false});
  db->migrate(schema());
  FlakyBus bus;
  Outbox outbox(*db, bus, "test");
  db->write_sync([&](storage::Tx& tx) {
    outbox.add(tx, First{});
    outbox.add(tx, Second{});
    tx.exec("UPDATE outbox SET seq = seq + 10");
  });
  bus.on_first_publish = [&] {  // the other replica's row, with a lower seq, commits now
    db->write_sync([&](storage::Tx& tx) {
      outbox.add(tx, Late{});
      tx.exec("UPDATE outbox SET seq = 5 WHERE type = 'late'");
    });
  };
  outbox.flush();
  EXPECT_EQ(bus.published, (std::vector<std::string>{"first", "second", "late"}));
  EXPECT_EQ(outbox.pending(), 0);
}

TEST(Inbox, DuplicateDeliveryChangesNothing) {
  auto db = storage::open_sqlite({.path = temp_db("consumer.db"), .synchronous_full = false});
  db->migrate(schema());
  Event e = Event::make("counter.incremented", "test", {});
  auto apply = [&] {
    handle_once(*db, e, [](storage::Tx& tx) {
      tx.exec("INSERT INTO counters (name, value) VALUES ('a', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1");
    });
  };
  apply();
  apply();  // redelivered
  Event other = Event::make("counter.incremented", "test", {});
  handle_once(*db, other, [](storage::Tx& tx) { tx.exec("UPDATE counters SET value = value + 1"); });
  db->read_sync([](storage::Tx& tx) { EXPECT_EQ(tx.query("SELECT value FROM counters")[0].integer(0), 2); });
}

TEST(Inbox, FailedEffectIsNotRecordedSoARetryApplies) {
  auto db = storage::open_sqlite({.path = temp_db("retry.db"), .synchronous_full = false});
  db->migrate(schema());
  Event e = Event::make("x", "test", {});
  EXPECT_THROW(handle_once(*db, e, [](storage::Tx& tx) {
                 tx.exec("INSERT INTO counters (name, value) VALUES ('a', 1)");
                 throw std::runtime_error("transient");
               }),
               std::runtime_error);
  handle_once(*db, e, [](storage::Tx& tx) { tx.exec("INSERT INTO counters (name, value) VALUES ('a', 1)"); });
  db->read_sync([](storage::Tx& tx) { EXPECT_EQ(tx.query("SELECT COUNT(*) FROM counters")[0].integer(0), 1); });
}

TEST(InProcessBus, RetriesThenDeadLetters) {
  InProcessBus bus({.max_attempts = 3, .retry_backoff = std::chrono::milliseconds(1)});
  int calls = 0;
  bus.subscribe("flaky", {"a.b"}, [&](const Event&) {
    if (++calls < 2) throw std::runtime_error("once");
  });
  int poison_calls = 0;
  bus.subscribe("poison", {"a.*"}, [&](const Event&) {
    ++poison_calls;
    throw std::runtime_error("always");
  });
  bus.publish(Event::make("a.b", "t", {}));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(poison_calls, 3);
  EXPECT_EQ(bus.dead_lettered(), 1u);
}

// A consumer whose database is away (the all-in-one on MySQL while the server restarts) is not
// dead-lettered after a few tries: the event stays in the outbox until the database is back, and
// every consumer then has it exactly once (before, it was dropped for good after ~300 ms).
TEST(InProcessBus, AConsumerWhoseDatabaseIsAwayGetsTheEventOnceItIsBack) {
  auto db = storage::open_sqlite({.path = temp_db("away.db"), .synchronous_full = false});
  db->migrate(schema());
  InProcessBus bus({.max_attempts = 3, .retry_backoff = std::chrono::milliseconds(1)});
  int steady = 0, away_calls = 0, away_handled = 0;
  bus.subscribe("steady", {"thing.*"}, [&](const Event& e) {
    handle_once(*db, e, [&](storage::Tx&) { ++steady; });
  });
  bus.subscribe("away", {"thing.*"}, [&](const Event&) {
    if (++away_calls <= 5) throw storage::ConnectionLost("mysql: cannot connect");
    ++away_handled;
  });
  Outbox outbox(*db, bus, "test");
  db->write_sync([&](storage::Tx& tx) { outbox.add(tx, ThingCreated{1}); });
  for (int i = 0; i < 5; ++i) {
    EXPECT_THROW(outbox.flush(), storage::ConnectionLost);  // what the relay thread does each round
    EXPECT_EQ(outbox.pending(), 1);
  }
  outbox.flush();  // the database is back
  EXPECT_EQ(outbox.pending(), 0);
  EXPECT_EQ(away_handled, 1);
  EXPECT_EQ(steady, 1);  // delivered six times, applied once
  EXPECT_EQ(bus.dead_lettered(), 0u);
}

// The inbox forgets events older than a week, in bounded rounds, and still drops a repeat of a
// recent one (before, it kept a row per event for ever).
TEST(Inbox, ForgetsOldEventsAndStillDropsRecentRepeats) {
  auto db = storage::open_sqlite({.path = temp_db("inbox-prune.db"), .synchronous_full = false});
  db->migrate(schema());
  db->write_sync([](storage::Tx& tx) {
    // ids as UUIDv7 makes them: 2024-01-01 (0x018cc251f400 ms), and a minute before "now" below
    tx.exec("INSERT INTO inbox (event_id, handled_at) VALUES ('018cc251-f400-7000-8000-000000000001', 0)");
    tx.exec("INSERT INTO inbox (event_id, handled_at) VALUES ('018cc251-f400-7000-8000-000000000002', 0)");
    tx.exec("INSERT INTO inbox (event_id, handled_at) VALUES ('018cc251-f401-7000-8000-000000000003', 0)");
  });
  Event recent = Event::make("x", "test", {});
  int applied = 0;
  handle_once(*db, recent, [&](storage::Tx&) { ++applied; });
  auto inbox_size = [&] {
    std::int64_t n = 0;
    db->read_sync([&](storage::Tx& tx) { n = tx.query("SELECT COUNT(*) FROM inbox")[0].integer(0); });
    return n;
  };
  EXPECT_EQ(inbox_size(), 4);
  // A cutoff at 2024-01-01 00:00:00.001 (0x018cc251f401): only the two ids of the millisecond before go.
  auto cutoff = std::chrono::system_clock::time_point(std::chrono::milliseconds(0x018cc251f401LL));
  EXPECT_EQ(prune_inbox(*db, cutoff, 1), 1);  // bounded rounds
  EXPECT_EQ(prune_inbox(*db, cutoff), 1);
  EXPECT_EQ(prune_inbox(*db, cutoff), 0);
  EXPECT_EQ(inbox_size(), 2);
  EXPECT_EQ(prune_inbox(*db, std::chrono::system_clock::now() - kInboxKeep), 1);  // the 2024 one
  handle_once(*db, recent, [&](storage::Tx&) { ++applied; });  // redelivered: still dropped
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(inbox_size(), 1);
}

TEST(EventEnvelope, RoundTripsAndMatchesPatterns) {
  Event e = Event::make("user.registered", "auth", {{"user_id", "u1"}});
  Event back = Event::from_json(e.to_json());
  EXPECT_EQ(back.id, e.id);
  EXPECT_EQ(back.type, "user.registered");
  EXPECT_EQ(back.data.at("user_id").as_string(), "u1");
  EXPECT_THROW(Event::from_json("{}"), std::invalid_argument);
  EXPECT_TRUE(matches("user.*", "user.registered"));
  EXPECT_FALSE(matches("user.*", "users.registered"));
  EXPECT_FALSE(matches("user.*", "user"));
  EXPECT_TRUE(matches("#", "anything"));
}

TEST(Outbox, RecordsTypedEventsInTheirEnvelopeAndOnlyItsOwnServices) {
  auto db = storage::open_sqlite({.path = temp_db("typed.db"), .synchronous_full = false});
  db->migrate(schema());
  InProcessBus bus({});
  std::vector<Event> received;
  bus.subscribe("c", {"#"}, [&](const Event& e) { received.push_back(e); });
  Outbox outbox(*db, bus, "contacts");
  db->write_sync([&](storage::Tx& tx) {
    outbox.add(tx, BlockAdded{"alice", "bob"});
    outbox.add_all(tx, std::vector<ContactRemoved>{{"alice", "bob", "blocked"}, {"alice", "carol", "removed"}});
    // Another service's event: a programming error, refused before anything is recorded.
    EXPECT_THROW(outbox.add(tx, UserDeleted{"u1", "alice"}), std::logic_error);
    EXPECT_THROW(outbox.add_all(tx, std::vector<ThingCreated>{{1}}), std::logic_error);
  });
  outbox.flush();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0].type, "block.added");
  EXPECT_EQ(received[0].producer, "contacts");
  EXPECT_EQ(received[0].version, BlockAdded::kVersion);
  EXPECT_EQ(parse<BlockAdded>(received[0]).blocked_id, "bob");
  EXPECT_EQ(parse<ContactRemoved>(received[1]).contact_id, "bob");
  EXPECT_EQ(parse<ContactRemoved>(received[2]).reason, "removed");
}

}  // namespace
}  // namespace parley::events
