// The RabbitMQ bus against a real broker, started by the CTest fixture `rabbitmq`
// (scripts/test-servers); the build passes its port and stop/start commands.

#include "parley/events/rabbitmq_bus.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>

#include "parley/events/dispatcher.hpp"
#include "parley/events/outbox.hpp"
#include "parley/events/test_support.hpp"
#include "parley/http/metrics.hpp"
#include "parley/storage/test_support.hpp"

namespace parley::events {
namespace {

using namespace std::chrono_literals;

// Event types of these tests only (the outbox and dispatchers take catalog types, and those a
// test declares for itself). Their names are fixed: the queues that receive them are removed at
// the end of each test (Operator), so that no earlier run's queue collects them.
PARLEY_TEST_EVENT(RelayedThing, "rabbit_test.relayed");
PARLEY_TEST_EVENT(DispatchedThing, "rabbit_test.dispatched");

// A connection of the test's own, to look at queues as an operator would.
class Operator {
 public:
  Operator() : conn_(amqp_new_connection()) {
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (!socket || amqp_socket_open(socket, "127.0.0.1", PARLEY_TEST_AMQP_PORT) != AMQP_STATUS_OK)
      throw std::runtime_error("operator: cannot connect");
    check(amqp_login(conn_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"));
    amqp_channel_open(conn_, 1);
    check(amqp_get_rpc_reply(conn_));
  }
  ~Operator() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;

  // Takes every message from queue; returns their message ids.
  std::vector<std::string> take(const std::string& queue) {
    std::vector<std::string> ids;
    for (;;) {
      amqp_rpc_reply_t r = amqp_basic_get(conn_, 1, amqp_cstring_bytes(queue.c_str()), 1);
      check(r);
      if (r.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return ids;
      amqp_message_t message;
      check(amqp_read_message(conn_, 1, &message, 0));
      ids.emplace_back(static_cast<char*>(message.properties.message_id.bytes),
                       message.properties.message_id.len);
      amqp_destroy_message(&message);
    }
  }
  void remove(const std::string& queue) {
    amqp_queue_delete(conn_, 1, amqp_cstring_bytes(queue.c_str()), 0, 0);
    check(amqp_get_rpc_reply(conn_));
  }

 private:
  static void check(const amqp_rpc_reply_t& r) {
    if (r.reply_type != AMQP_RESPONSE_NORMAL) throw std::runtime_error("operator: AMQP error");
  }
  amqp_connection_state_t conn_;
};

RabbitOptions options() {
  RabbitOptions o;
  o.port = PARLEY_TEST_AMQP_PORT;
  o.retry_backoff = 5ms;
  o.max_reconnect_backoff = 500ms;
  return o;
}

// A unique name per test run, so that durable queues of earlier runs do not interfere.
std::string unique(const std::string& what) {
  return what + "_" + std::to_string(::getpid()) + "_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

// Collects what a handler receives; wait_for blocks until n events arrived or the time is up.
struct Inbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Event> events;
  EventHandler handler() {
    return [this](const Event& e) {
      std::lock_guard lock(mutex);
      events.push_back(e);
      cv.notify_all();
    };
  }
  std::vector<Event> wait_for(std::size_t n, std::chrono::milliseconds timeout = 15s) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, timeout, [&] { return events.size() >= n; });
    return events;
  }
};

// Publishes until the consumers' queues exist (they are declared when the consumer connects).
void publish_when_bound(RabbitBus& bus, const Event& e, Inbox& watched, std::size_t already) {
  for (int i = 0; i < 100; ++i) {
    bus.publish(e);
    if (watched.wait_for(already + 1, 100ms).size() > already) return;
  }
  FAIL() << "consumer never received " << e.type;
}

TEST(RabbitBus, DeliversEachEventToEveryMatchingConsumerOnceInOrder) {
  std::string t = unique("t");
  RabbitBus bus(options());
  Inbox users, everything;
  bus.subscribe(unique("users"), {t + ".user.*"}, users.handler());
  bus.subscribe(unique("all"), {t + ".#"}, everything.handler());
  bus.start();
  publish_when_bound(bus, Event::make(t + ".user.ping", "test", {}), users, 0);
  everything.wait_for(1);
  std::size_t base_all = everything.wait_for(1).size();
  for (int i = 0; i < 20; ++i) bus.publish(Event::make(t + ".user.registered", "test", {{"n", i}}));
  bus.publish(Event::make(t + ".contact.accepted", "test", {}));
  auto got = users.wait_for(21);
  ASSERT_EQ(got.size(), 21u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i) + 1].data.at("n").as_int64(), i);
  EXPECT_EQ(everything.wait_for(base_all + 21).size(), base_all + 21);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(users.wait_for(0).size(), 21u) << "a type outside the pattern was delivered, or one twice";
  bus.stop();
}

TEST(RabbitBus, PublishesABatchWithOneWaitForItsConfirmsAndDeliversEveryEventOnceInOrder) {
  std::string t = unique("t");
  RabbitBus bus(options());
  Inbox got;
  bus.subscribe(unique("batch"), {t + ".#"}, got.handler());
  bus.start();
  publish_when_bound(bus, Event::make(t + ".ping", "test", {}), got, 0);
  std::size_t base = got.wait_for(1).size();
  for (int round = 0; round < 3; ++round) {  // later batches reuse the channel's delivery tags
    std::vector<Event> batch;
    for (int i = 0; i < 300; ++i) batch.push_back(Event::make(t + ".n", "test", {{"n", round * 300 + i}}));
    bus.publish_all(batch);
  }
  auto events = got.wait_for(base + 900);
  ASSERT_EQ(events.size(), base + 900);
  for (std::size_t i = 0; i < 900; ++i) EXPECT_EQ(events[base + i].data.at("n").as_int64(), static_cast<std::int64_t>(i));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(got.wait_for(0).size(), base + 900) << "an event was delivered twice";
  bus.stop();
}

// An event no queue takes is confirmed at once, one a durable queue takes only once it is on
// disk: the confirms of a batch come out of order, and every one must still count.
TEST(RabbitBus, ABatchWhoseConfirmsComeOutOfOrderIsTakenWhole) {
  std::string t = unique("t");
  RabbitBus bus(options());
  Inbox kept;
  bus.subscribe(unique("kept"), {t + ".kept"}, kept.handler());
  bus.start();
  publish_when_bound(bus, Event::make(t + ".kept", "test", {{"n", -1}}), kept, 0);
  std::size_t base = kept.wait_for(1).size();
  std::vector<Event> batch;
  for (int i = 0; i < 400; ++i)
    batch.push_back(i % 2 ? Event::make(t + ".nobody", "test", {}) : Event::make(t + ".kept", "test", {{"n", i / 2}}));
  for (int round = 0; round < 3; ++round) EXPECT_NO_THROW(bus.publish_all(batch)) << "round " << round;
  auto got = kept.wait_for(base + 600);
  ASSERT_EQ(got.size(), base + 600);
  for (std::size_t i = 0; i < 600; ++i) EXPECT_EQ(got[base + i].data.at("n").as_int64(), static_cast<std::int64_t>(i % 200));
  bus.stop();
}

TEST(RabbitBus, RetriesAFailingHandlerThenDeadLettersIt) {
  std::string t = unique("t");
  http::Metrics metrics;
  RabbitBus bus(options(), &metrics);
  std::atomic<int> flaky_calls{0}, poison_calls{0};
  Inbox flaky_done;
  auto record = flaky_done.handler();
  bus.subscribe(unique("flaky"), {t + ".flaky"}, [&](const Event& e) {
    if (++flaky_calls < 3) throw std::runtime_error("transient");
    record(e);
  });
  bus.subscribe(unique("poison"), {t + ".poison"}, [&](const Event&) {
    ++poison_calls;
    throw std::runtime_error("never works");
  });
  bus.start();
  publish_when_bound(bus, Event::make(t + ".flaky", "test", {}), flaky_done, 0);
  EXPECT_EQ(flaky_calls, 3);
  for (int i = 0; i < 100 && poison_calls < 5; ++i) {
    bus.publish(Event::make(t + ".poison", "test", {}));
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(500ms);
  EXPECT_GE(poison_calls, 5);
  EXPECT_NE(metrics.render().find("parley_events_dead_lettered_total"), std::string::npos);
  EXPECT_GE(metrics.counter("parley_events_dead_lettered_total", "").load(), 1u);
  bus.stop();
}

TEST(RabbitBus, AHandlerWhoseDatabaseIsAwayWaitsForItInsteadOfDeadLettering) {
  std::string t = unique("t");
  http::Metrics metrics;
  RabbitOptions o = options();
  o.max_retry_backoff = 20ms;
  RabbitBus bus(o, &metrics);
  std::atomic<bool> away{false};
  std::atomic<int> failed{0};
  Inbox probes, kept;
  auto probe = probes.handler();
  auto keep = kept.handler();
  bus.subscribe(unique("away"), {t + ".*"}, [&](const Event& e) {
    if (e.type != t + ".kept") return probe(e);
    if (away) {
      ++failed;
      throw storage::ConnectionLost("mysql: cannot connect");
    }
    keep(e);
  });
  EXPECT_FALSE(bus.connected()) << "not connected before start()";
  bus.start();
  publish_when_bound(bus, Event::make(t + ".probe", "test", {}), probes, 0);
  EXPECT_TRUE(bus.connected());

  away = true;
  bus.publish(Event::make(t + ".kept", "test", {}));
  for (int i = 0; i < 500 && failed < 3 * o.max_attempts; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(failed, 3 * o.max_attempts) << "the handler was retried past max_attempts";
  away = false;
  auto got = kept.wait_for(1);
  ASSERT_EQ(got.size(), 1u) << "handled once the database is back";
  EXPECT_EQ(metrics.counter("parley_events_dead_lettered_total", "").load(), 0u);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(kept.wait_for(0).size(), 1u);
  bus.stop();
}

TEST(RabbitBus, TransientQueuesGiveEveryReplicaItsOwnCopy) {
  std::string t = unique("t");
  RabbitBus replica1(options()), replica2(options());
  Inbox one, two;
  replica1.subscribe_transient("wake", {t + ".wake"}, one.handler());
  replica2.subscribe_transient("wake", {t + ".wake"}, two.handler());
  replica1.start();
  replica2.start();
  publish_when_bound(replica1, Event::make(t + ".wake", "test", {}), one, 0);
  two.wait_for(1);
  std::size_t before_two = two.wait_for(0).size();
  replica1.publish(Event::make(t + ".wake", "test", {{"last", true}}));
  EXPECT_EQ(one.wait_for(2).back().data.contains("last"), true);
  EXPECT_EQ(two.wait_for(before_two + 1).back().data.contains("last"), true);
  replica1.stop();
  replica2.stop();
}

TEST(RabbitBus, SurvivesABrokerRestart) {
  std::string t = unique("t");
  std::string consumer = unique("durable");
  {
    // Declare the durable queue, then go away: what is published next waits in it.
    RabbitBus bus(options());
    Inbox probe;
    bus.subscribe(consumer, {t + ".*"}, probe.handler());
    bus.start();
    publish_when_bound(bus, Event::make(t + ".probe", "test", {}), probe, 0);
    bus.stop();
  }
  RabbitBus publisher(options());
  publisher.publish(Event::make(t + ".kept", "test", {{"n", 1}}));  // persistent, unconsumed

  ASSERT_EQ(std::system(PARLEY_TEST_AMQP_STOP), 0);
  EXPECT_THROW(publisher.publish(Event::make(t + ".lost", "test", {})), std::exception)
      << "publishing while the broker is down must fail loudly, so the outbox keeps the event";
  ASSERT_EQ(std::system(PARLEY_TEST_AMQP_START), 0);

  RabbitBus bus(options());
  Inbox inbox;
  bus.subscribe(consumer, {t + ".*"}, inbox.handler());
  bus.start();
  publisher.publish(Event::make(t + ".after", "test", {{"n", 2}}));  // reconnects by itself
  auto got = inbox.wait_for(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].type, t + ".kept");  // survived the restart
  EXPECT_EQ(got[1].type, t + ".after");
  bus.stop();
}

TEST(RabbitBus, OutboxKeepsEventsWhileTheBrokerIsDownAndRelaysThemAfter) {
  std::string t = unique("t");
  auto db = storage::testing::open_fresh_sqlite(unique("outbox"), "p.db",
                                                {{1, outbox_inbox_schema(storage::Dialect::sqlite), ""}});
  std::string consumer = unique("relay");
  RabbitBus bus(options());
  Inbox inbox;
  bus.subscribe(consumer, {t + ".*", std::string(RelayedThing::kType)}, inbox.handler());
  bus.start();
  publish_when_bound(bus, Event::make(t + ".probe", "test", {}), inbox, 0);

  ASSERT_EQ(std::system(PARLEY_TEST_AMQP_STOP), 0);
  Outbox outbox(*db, bus, "test", {.poll_interval = 200ms, .retry_backoff = 200ms});
  outbox.start();
  for (int i = 0; i < 10; ++i)
    db->write_sync([&](storage::Tx& tx) { outbox.add(tx, RelayedThing{i}); });
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(outbox.pending(), 10) << "nothing can leave while the broker is down, and nothing is dropped";
  EXPECT_FALSE(bus.connected()) << "readiness shows the broker is away";
  ASSERT_EQ(std::system(PARLEY_TEST_AMQP_START), 0);

  auto got = inbox.wait_for(11, 30s);
  EXPECT_TRUE(bus.connected()) << "the consumer came back by itself";
  ASSERT_EQ(got.size(), 11u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i) + 1].data.at("n").as_int64(), i);
  outbox.stop();
  EXPECT_EQ(outbox.pending(), 0);
  bus.stop();
  Operator().remove("parley." + consumer);
}

// A consumer through a Dispatcher: an event missing nothing is applied; a malformed one is parsed
// before any transaction, handed to the handler once (no retries: they cannot fix it), and goes
// to the consumer's dead-letter queue, counted, without any of its effect.
TEST(RabbitBus, ADispatchedMalformedEventIsDeadLetteredAtOnceWithoutItsEffect) {
  auto db = storage::testing::open_fresh_sqlite(
      unique("dispatch"), "c.db",
      {{1, "CREATE TABLE applied (n INTEGER NOT NULL);\n" + outbox_inbox_schema(storage::Dialect::sqlite), ""}});
  auto applied = [&] {
    std::vector<std::int64_t> n;
    db->read_sync([&](storage::Tx& tx) {
      for (const auto& row : tx.query("SELECT n FROM applied ORDER BY n")) n.push_back(row.integer(0));
    });
    return n;
  };
  http::Metrics metrics;
  RabbitBus bus(options(), &metrics);
  Dispatcher d;
  d.on<DispatchedThing>([](storage::Tx& tx, const DispatchedThing& e) {
    tx.exec("INSERT INTO applied (n) VALUES (?)", {e.n});
  });
  DurableConsumer row{unique("dispatch"), {std::string(DispatchedThing::kType)}};
  std::mutex mutex;
  std::map<std::string, int> deliveries;  // by event id
  Inbox seen;
  auto handle = d.handler(*db);
  auto record = seen.handler();
  bus.subscribe(row.name, row.patterns, [&](const Event& e) {
    {
      std::lock_guard lock(mutex);
      ++deliveries[e.id];
    }
    record(e);
    handle(e);
  });
  bus.start();
  publish_when_bound(bus, make_event(DispatchedThing{1}), seen, 0);
  Event malformed = Event::make(std::string(DispatchedThing::kType), "test", {{"n", "two"}});
  bus.publish(malformed);
  bus.publish(make_event(DispatchedThing{3}));
  for (int i = 0; i < 300 && (applied().empty() || applied().back() != 3); ++i) std::this_thread::sleep_for(50ms);
  bus.stop();

  auto done = applied();
  ASSERT_FALSE(done.empty());
  EXPECT_EQ(done.back(), 3) << "the consumer went on after it";
  EXPECT_EQ(std::count(done.begin(), done.end(), 2), 0);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(deliveries[malformed.id], 1) << "handed over once, not retried";
  }
  EXPECT_EQ(metrics.counter("parley_events_dead_lettered_total", "").load(), 1u);
  Operator op;
  EXPECT_EQ(op.take("parley." + row.name + ".dead"), std::vector<std::string>{malformed.id});
  op.remove("parley." + row.name);
  op.remove("parley." + row.name + ".dead");
}

// A fresh install starts its services in parallel: a producer may publish before a consumer has
// ever connected. The publisher declares every consumer's queue from the topology first, so the
// event waits there instead of being confirmed and dropped.
TEST(RabbitBus, AnEventPublishedBeforeItsConsumerEverRanWaitsForIt) {
  std::string t = unique("t");
  RabbitOptions o = options();
  o.topology = {{unique("late"), {t + ".created"}}};
  {
    RabbitBus producer(o);
    producer.publish(Event::make(t + ".created", "test", {{"n", 1}}));
  }
  RabbitBus consumer(o);
  Inbox inbox;
  consumer.subscribe(o.topology[0].name, o.topology[0].patterns, inbox.handler());
  consumer.start();
  auto got = inbox.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data.at("n").as_int64(), 1);
  consumer.stop();
}

TEST(RabbitBus, ADurableSubscriptionMustMatchTheTopology) {
  RabbitOptions o = options();
  o.topology = {{"users", {"user.registered"}}};
  RabbitBus bus(o);
  EXPECT_THROW(bus.subscribe("stranger", {"user.registered"}, [](const Event&) {}),
               std::logic_error);
  EXPECT_THROW(bus.subscribe("users", {"user.registered", "user.deleted"}, [](const Event&) {}),
               std::logic_error);
  EXPECT_NO_THROW(bus.subscribe("users", {"user.registered"}, [](const Event&) {}));
}

// A broker that stops answering without closing anything (SIGSTOP: the kernel still holds the
// connections open) is noticed by the missing heartbeats, on the consumers' connections and the
// idle publisher's, within two heartbeat intervals; after SIGCONT everything reconnects and an
// event published meanwhile is not lost.
TEST(RabbitBus, NoticesASilentBrokerWithinTwoHeartbeats) {
  std::string t = unique("t");
  RabbitOptions o = options();
  o.heartbeat = 1s;
  o.rpc_timeout = 1s;
  o.confirm_timeout = 1s;
  o.topology = {{unique("hb"), {t + ".*"}}};
  http::Metrics metrics;
  RabbitBus bus(o, &metrics);
  Inbox inbox;
  bus.subscribe(o.topology[0].name, o.topology[0].patterns, inbox.handler());
  bus.start();
  publish_when_bound(bus, Event::make(t + ".probe", "test", {}), inbox, 0);
  // Idle for longer than two heartbeats: the heartbeats alone keep every connection up, the
  // publisher's included.
  std::this_thread::sleep_for(3500ms);
  auto lost = [&](const std::string& link) {
    std::string text = metrics.render();
    std::string key = "parley_amqp_connections_lost_total{link=\"" + link + "\"} ";
    auto at = text.find(key);
    return at == std::string::npos ? -1 : std::stoi(text.substr(at + key.size()));
  };
  ASSERT_EQ(lost("publisher"), 0);
  ASSERT_EQ(lost("consumer"), 0);
  ASSERT_TRUE(bus.connected());

  std::ifstream pid_file(PARLEY_TEST_AMQP_PID_FILE);
  pid_t broker = 0;
  pid_file >> broker;
  ASSERT_GT(broker, 0);
  ASSERT_EQ(::kill(broker, SIGSTOP), 0);
  auto stopped = std::chrono::steady_clock::now();
  while ((bus.connected() || lost("publisher") < 1) &&
         std::chrono::steady_clock::now() - stopped < 10s)
    std::this_thread::sleep_for(50ms);
  auto noticed = std::chrono::steady_clock::now() - stopped;
  bool publisher_noticed = lost("publisher") >= 1;
  bool consumer_noticed = !bus.connected();
  ::kill(broker, SIGCONT);
  EXPECT_TRUE(consumer_noticed);
  EXPECT_TRUE(publisher_noticed);
  EXPECT_LE(noticed, 2s + 500ms) << "two heartbeat intervals, and a little for the checks";

  auto until = std::chrono::steady_clock::now() + 30s;
  while (!bus.connected() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(bus.connected()) << "the consumer reconnected by itself";
  bus.publish(Event::make(t + ".after", "test", {}));
  auto got = inbox.wait_for(2);
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got.back().type, t + ".after");
  EXPECT_GE(lost("consumer"), 1);
  bus.stop();
}

TEST(AmqpUrl, Parses) {
  auto o = parse_amqp_url("amqp://parley:pw@127.0.0.1:5673/%2F");
  EXPECT_EQ(o.user, "parley");
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.port, 5673);
  EXPECT_EQ(o.vhost, "/");
  EXPECT_EQ(parse_amqp_url("amqp://u:p@h/vh").vhost, "vh");
  EXPECT_THROW(parse_amqp_url("http://h/"), std::invalid_argument);
}

}  // namespace
}  // namespace parley::events
