#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "parley/events/bus.hpp"
#include "parley/events/topology.hpp"

namespace parley::http {
class Metrics;
}

namespace parley::events {

struct RabbitOptions {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::string exchange = "parley.events";       // the one topic exchange; routing key = event type
  std::string dead_exchange = "parley.dead";    // where poison messages go, one queue per consumer
  int prefetch = 64;                            // unacknowledged deliveries per consumer
  int max_attempts = 5;                         // handler tries before dead-lettering
  std::chrono::milliseconds retry_backoff{50};  // doubled after each failed try
  std::chrono::milliseconds max_retry_backoff{1000};  // between tries while the handler's database is away
  std::chrono::milliseconds confirm_timeout{5000};
  std::chrono::milliseconds max_reconnect_backoff{5000};
  // AMQP heartbeat (PARLEY_AMQP_HEARTBEAT_S; 0: none): a connection that hears nothing from the
  // broker for two of these is taken for dead and rebuilt, the idle publisher's included.
  std::chrono::seconds heartbeat{10};
  std::chrono::milliseconds rpc_timeout{5000};  // login and every synchronous AMQP method
  // The durable queues (and their bindings) the publisher declares before its first publish on
  // each connection; a durable subscribe() must then name one of them, with the same patterns.
  // Empty: the publisher declares none, and subscribe() takes any name (tests).
  std::vector<DurableConsumer> topology;
};

// amqp://user:password@host:port/vhost (vhost "%2F" or empty for "/"). Throws std::invalid_argument.
RabbitOptions parse_amqp_url(std::string_view url);

// RabbitMQ through rabbitmq-c: one topic exchange, one durable queue per consuming service
// (declared by the publisher too, from options.topology, so none misses what is published before
// it first connects), persistent messages, publisher confirms (publish returns once the broker has
// the event), manual acks after the handler (and so the inbox transaction) committed, bounded
// retries then the consumer's dead-letter queue, reconnection with backoff when the broker goes
// away. A handler that throws storage::ConnectionLost (its database is away) is retried until it
// succeeds, never dead-lettered for that. Heartbeats on every connection; the publisher's, idle
// between publishes, is kept alive (and watched) by a thread of its own, which also connects it at
// start().
class RabbitBus final : public EventBus {
 public:
  explicit RabbitBus(RabbitOptions options, http::Metrics* metrics = nullptr);
  ~RabbitBus() override;

  // EventBus
  void publish(const Event& event) override;
  void publish_all(const std::vector<Event>& events) override;
  void publish_serialized(const std::vector<Serialized>& events) override;
  void subscribe(std::string consumer, std::vector<std::string> patterns, EventHandler handler) override;
  void start() override;
  void stop() override;
  // Every consumer has its connection and queue (after start(), and again after a broker outage).
  bool connected() const override;

  // An exclusive, server-named queue deleted when this process disconnects.
  void subscribe_transient(std::string name, std::vector<std::string> patterns,
                           EventHandler handler, std::function<void()> on_bound = {}) override;

 private:
  struct Consumer;
  struct Link;
  void consume(Consumer& c);
  // Keeps the idle publisher's connection alive until stop(): connects it (declaring the
  // topology), sends heartbeats, and rebuilds it when the broker stops answering.
  void keep_publisher();
  // REQUIRES: publish_mutex_ held. Connects the publisher unless it is connected.
  void connect_publisher();
  // REQUIRES: publish_mutex_ held. Drops the publisher's connection, counting it as lost.
  void drop_publisher(const std::string& why);
  // Sleeps for d, or less if stop() is called meanwhile; sends link's heartbeats meanwhile.
  void pause(std::chrono::milliseconds d, Link* link = nullptr) const;

  RabbitOptions options_;
  std::mutex publish_mutex_;
  std::unique_ptr<Link> publisher_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> consuming_{0};  // consumers connected now
  std::thread publisher_thread_;
  std::atomic<bool> publisher_up_{
      false};  // publisher_ is set (for the metric, read without the mutex)
  std::atomic<std::uint64_t>* dead_letter_counter_ = nullptr;
  std::atomic<std::uint64_t>* publisher_lost_ = nullptr;  // connections lost, by link
  std::atomic<std::uint64_t>* consumer_lost_ = nullptr;
};

}  // namespace parley::events
