#include "parley/events/rabbitmq_bus.hpp"

#include <algorithm>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <boost/url/parse.hpp>
#include <stdexcept>

#include "parley/core/log.hpp"
#include "parley/core/thread_name.hpp"
#include "parley/events/catalog.hpp"
#include "parley/http/metrics.hpp"
#include "parley/storage/database.hpp"

namespace parley::events {

RabbitOptions parse_amqp_url(std::string_view text) {
  auto url = boost::urls::parse_uri(text);
  if (!url || url->scheme() != "amqp") throw std::invalid_argument("must look like amqp://user:password@host:port/vhost");
  RabbitOptions o;
  if (!url->user().empty()) o.user = std::string(url->user());
  if (url->has_password()) o.password = std::string(url->password());
  if (!url->host().empty()) o.host = std::string(url->host());
  if (url->has_port()) o.port = url->port_number();
  std::string path(url->path());
  o.vhost = path.size() > 1 ? path.substr(1) : "/";
  return o;
}

namespace {

amqp_bytes_t bytes(const std::string& s) { return amqp_bytes_t{s.size(), const_cast<char*>(s.data())}; }

std::string reply_text(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: return "ok";
    case AMQP_RESPONSE_NONE: return "missing reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION: {
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD || r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return "server: " + std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
      }
      return "server exception";
    }
  }
  return "unknown";
}

}  // namespace

// One connection with one channel (1), torn down and rebuilt whole on any error.
struct RabbitBus::Link {
  explicit Link(const RabbitOptions& o) : conn(amqp_new_connection()) {
    try {
      open(o);
    } catch (...) {
      amqp_destroy_connection(conn);  // the destructor does not run for a constructor that throws
      throw;
    }
  }

  void open(const RabbitOptions& o) {
    amqp_socket_t* socket = amqp_tcp_socket_new(conn);
    if (!socket) fail("cannot create a socket");
    timeval timeout{5, 0};
    if (amqp_socket_open_noblock(socket, o.host.c_str(), o.port, &timeout) != AMQP_STATUS_OK)
      fail("cannot connect to " + o.host + ":" + std::to_string(o.port));
    // A broker that accepts the connection but does not answer (stopped, overloaded) must not
    // hold a thread for ever: the handshake and every synchronous method have a deadline.
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(o.rpc_timeout).count();
    timeval rpc{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
    amqp_set_handshake_timeout(conn, &rpc);
    amqp_set_rpc_timeout(conn, &rpc);
    check(amqp_login(conn, o.vhost.c_str(), 0, 131072, static_cast<int>(o.heartbeat.count()),
                     AMQP_SASL_METHOD_PLAIN, o.user.c_str(), o.password.c_str()),
          "login");
    amqp_channel_open(conn, 1);
    check(amqp_get_rpc_reply(conn), "channel.open");
    amqp_exchange_declare(conn, 1, bytes(o.exchange), amqp_cstring_bytes("topic"), 0, 1, 0, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(conn), "exchange.declare");
    amqp_exchange_declare(conn, 1, bytes(o.dead_exchange), amqp_cstring_bytes("direct"), 0, 1, 0, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(conn), "exchange.declare (dead letters)");
  }
  ~Link() {
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
  }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Sends a heartbeat frame: for a thread busy with something else than reading the connection
  // (a handler waiting for its database), so that the broker does not take it for dead.
  void send_heartbeat() {
    if (amqp_get_heartbeat(conn) == 0) return;
    amqp_frame_t frame{};
    frame.frame_type = AMQP_FRAME_HEARTBEAT;
    frame.channel = 0;
    amqp_send_frame(conn, &frame);
  }

  void check(const amqp_rpc_reply_t& r, const std::string& what) {
    if (r.reply_type != AMQP_RESPONSE_NORMAL) fail(what + ": " + reply_text(r));
  }
  [[noreturn]] void fail(const std::string& why) { throw std::runtime_error("rabbitmq: " + why); }

  amqp_connection_state_t conn;
  std::uint64_t next_tag = 1;  // the delivery tag of the next publish (confirm mode)
};

namespace {

// Declares a consuming service's durable queue "parley.<name>" (its poison messages go to
// "parley.<name>.dead") and binds it to each pattern. The consumer and the publisher both call
// it, with the same arguments (the broker refuses a queue declared twice with different ones).
template <class Link>
void declare_durable(Link& link, const RabbitOptions& o, const std::string& queue,
                     const std::vector<std::string>& patterns) {
  std::string dead_key = queue;
  amqp_table_entry_t args[2];
  args[0].key = amqp_cstring_bytes("x-dead-letter-exchange");
  args[0].value.kind = AMQP_FIELD_KIND_UTF8;
  args[0].value.value.bytes = bytes(o.dead_exchange);
  args[1].key = amqp_cstring_bytes("x-dead-letter-routing-key");
  args[1].value.kind = AMQP_FIELD_KIND_UTF8;
  args[1].value.value.bytes = bytes(dead_key);
  amqp_table_t table{2, args};
  amqp_queue_declare(link.conn, 1, bytes(queue), 0, 1, 0, 0, table);
  link.check(amqp_get_rpc_reply(link.conn), "queue.declare " + queue);
  std::string dead_queue = queue + ".dead";
  amqp_queue_declare(link.conn, 1, bytes(dead_queue), 0, 1, 0, 0, amqp_empty_table);
  link.check(amqp_get_rpc_reply(link.conn), "queue.declare " + dead_queue);
  amqp_queue_bind(link.conn, 1, bytes(dead_queue), bytes(o.dead_exchange), bytes(dead_key),
                  amqp_empty_table);
  link.check(amqp_get_rpc_reply(link.conn), "queue.bind " + dead_queue);
  for (const auto& pattern : patterns) {
    amqp_queue_bind(link.conn, 1, bytes(queue), bytes(o.exchange), bytes(pattern),
                    amqp_empty_table);
    link.check(amqp_get_rpc_reply(link.conn), "queue.bind " + pattern);
  }
}

}  // namespace

struct RabbitBus::Consumer {
  std::string name;  // the queue: "parley.<consumer>", or a transient one's prefix
  std::vector<std::string> patterns;
  EventHandler handler;
  bool transient = false;
  std::function<void()> on_bound;  // transient only
};

RabbitBus::RabbitBus(RabbitOptions options, http::Metrics* metrics) : options_(std::move(options)) {
  if (metrics) {
    dead_letter_counter_ = &metrics->counter(
        "parley_events_dead_lettered_total",
        "Events a consumer gave up on: malformed (at once), or failing after every retry.");
    const char* help =
        "Connections to RabbitMQ found broken (missed heartbeats, a closed socket, an error) and "
        "rebuilt.";
    publisher_lost_ =
        &metrics->counter("parley_amqp_connections_lost_total", help, R"(link="publisher")");
    consumer_lost_ =
        &metrics->counter("parley_amqp_connections_lost_total", help, R"(link="consumer")");
    metrics->gauge("parley_amqp_publisher_connected",
                   "1 while the event publisher has its broker connection, else 0.", "",
                   [this] { return publisher_up_.load() ? 1.0 : 0.0; });
  }
}

RabbitBus::~RabbitBus() { stop(); }

void RabbitBus::publish(const Event& event) { publish_all({event}); }

void RabbitBus::publish_all(const std::vector<Event>& events) {
  std::vector<Serialized> serialized;
  serialized.reserve(events.size());
  for (const auto& e : events) serialized.push_back(Serialized{e.id, e.type, e.to_json()});
  publish_serialized(serialized);
}

void RabbitBus::publish_serialized(const std::vector<Serialized>& events) {
  if (events.empty()) return;
  std::lock_guard lock(publish_mutex_);
  for (int attempt = 1;; ++attempt) {
    try {
      connect_publisher();
      // Every event first, then the confirms: the broker confirms a run of them at once
      // ("multiple"), and the batch costs one wait instead of one per event.
      std::uint64_t first = publisher_->next_tag;
      for (std::size_t i = 0; i < events.size(); ++i) {
        amqp_basic_properties_t props;
        props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
        props.content_type = amqp_cstring_bytes("application/json");
        props.delivery_mode = 2;  // persistent
        props.message_id = bytes(events[i].id);
        if (amqp_basic_publish(publisher_->conn, 1, bytes(options_.exchange), bytes(events[i].type), 0, 0, &props,
                               bytes(events[i].json)) != AMQP_STATUS_OK)
          publisher_->fail("publish");
        ++publisher_->next_tag;
      }
      // Publisher confirms: the broker has every event (persisted, for durable queues). They may
      // come in any order (an event no queue takes is confirmed at once, one a durable queue
      // takes after it is on disk), one at a time or "every tag up to this one" at once.
      std::uint64_t last = publisher_->next_tag - 1;
      std::vector<bool> acked(events.size(), false);
      std::size_t outstanding = events.size();
      auto ack_tag = [&](std::uint64_t tag) {
        if (tag < first || tag > last || acked[tag - first]) return;
        acked[tag - first] = true;
        --outstanding;
      };
      auto deadline = std::chrono::steady_clock::now() + options_.confirm_timeout;
      while (outstanding > 0) {
        auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) publisher_->fail("no confirm within the timeout");
        timeval tv{static_cast<time_t>(left.count() / 1'000'000), static_cast<suseconds_t>(left.count() % 1'000'000)};
        amqp_frame_t frame;
        int rc = amqp_simple_wait_frame_noblock(publisher_->conn, &frame, &tv);
        if (rc != AMQP_STATUS_OK) publisher_->fail(std::string("waiting for a confirm: ") + amqp_error_string2(rc));
        if (frame.frame_type != AMQP_FRAME_METHOD) continue;
        auto id = frame.payload.method.id;
        if (id == AMQP_BASIC_ACK_METHOD) {
          auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
          if (!ack->multiple) ack_tag(ack->delivery_tag);
          else
            for (std::uint64_t tag = first; tag <= std::min<std::uint64_t>(ack->delivery_tag, last); ++tag) ack_tag(tag);
        } else if (id == AMQP_BASIC_NACK_METHOD) {
          publisher_->fail("the broker refused an event");
        } else if (id == AMQP_CHANNEL_CLOSE_METHOD || id == AMQP_CONNECTION_CLOSE_METHOD) {
          publisher_->fail("the broker closed the channel");
        }
      }
      amqp_maybe_release_buffers(publisher_->conn);
      return;
    } catch (const std::exception& e) {
      if (publisher_) drop_publisher(e.what());
      if (attempt >= 2) throw;  // the outbox keeps the events and retries later
    }
  }
}

void RabbitBus::connect_publisher() {
  if (publisher_) return;
  auto link = std::make_unique<Link>(options_);
  amqp_confirm_select(link->conn, 1);
  link->check(amqp_get_rpc_reply(link->conn), "confirm.select");
  link->next_tag = 1;
  // Every consuming service's queue exists before anything is published: an event for a service
  // that has never run yet waits in its queue rather than being confirmed and dropped.
  for (const auto& c : options_.topology)
    declare_durable(*link, options_, "parley." + c.name, c.patterns);
  publisher_ = std::move(link);
  publisher_up_ = true;
}

void RabbitBus::drop_publisher(const std::string& why) {
  publisher_.reset();
  publisher_up_ = false;
  if (publisher_lost_) publisher_lost_->fetch_add(1);
  log::warn("event publisher's broker connection lost; the next publish reconnects",
            {{"error", why}});
}

void RabbitBus::keep_publisher() {
  // Often enough that a broker gone silent is noticed within two heartbeats of its last word.
  auto tick =
      options_.heartbeat.count() > 0
          ? std::min(std::chrono::duration_cast<std::chrono::milliseconds>(options_.heartbeat) / 10,
                     std::chrono::milliseconds(500))
          : std::chrono::milliseconds(1000);
  auto backoff = std::chrono::milliseconds(100);
  bool warned = false;
  while (!stopping_) {
    auto wait = tick;
    {
      std::lock_guard lock(publish_mutex_);
      try {
        bool was_connected = publisher_ != nullptr;
        connect_publisher();
        if (!was_connected && warned) log::info("event publisher reconnected");
        warned = false;
        backoff = std::chrono::milliseconds(100);
        // Reading the (idle) connection sends our heartbeats when due and notices the broker's
        // missing: rabbitmq-c returns a heartbeat timeout after two intervals without a frame.
        amqp_frame_t frame;
        timeval none{0, 1000};
        int rc = amqp_simple_wait_frame_noblock(publisher_->conn, &frame, &none);
        if (rc != AMQP_STATUS_OK && rc != AMQP_STATUS_TIMEOUT)
          publisher_->fail(std::string("idle connection: ") + amqp_error_string2(rc));
        if (rc == AMQP_STATUS_OK && frame.frame_type == AMQP_FRAME_METHOD &&
            (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
             frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD))
          publisher_->fail("the broker closed the connection");
        amqp_maybe_release_buffers(publisher_->conn);
      } catch (const std::exception& e) {
        if (publisher_) {
          drop_publisher(e.what());
        } else if (!warned) {
          log::warn("event publisher cannot connect; retrying", {{"error", e.what()}});
          warned = true;
        }
        wait = backoff;
        backoff = std::min(backoff * 2, options_.max_reconnect_backoff);
      }
    }
    pause(wait);
  }
}

bool RabbitBus::connected() const { return consuming_.load() == consumers_.size(); }

void RabbitBus::subscribe(std::string consumer, std::vector<std::string> patterns, EventHandler handler) {
  if (!options_.topology.empty()) {
    auto row = std::find_if(options_.topology.begin(), options_.topology.end(),
                            [&](const DurableConsumer& c) { return c.name == consumer; });
    if (row == options_.topology.end() || row->patterns != patterns)
      throw std::logic_error(
          "durable consumer '" + consumer +
          "' is not subscribed as events/topology.cpp declares it for publishers");
  }
  consumers_.push_back(std::make_unique<Consumer>(
      Consumer{"parley." + consumer, std::move(patterns), std::move(handler), false, {}}));
}

void RabbitBus::subscribe_transient(std::string name, std::vector<std::string> patterns,
                                    EventHandler handler, std::function<void()> on_bound) {
  consumers_.push_back(std::make_unique<Consumer>(Consumer{
      "parley." + name, std::move(patterns), std::move(handler), true, std::move(on_bound)}));
}

void RabbitBus::start() {
  stopping_ = false;
  publisher_thread_ = std::thread([this] {
    name_this_thread("amqp publisher");
    keep_publisher();
  });
  for (auto& c : consumers_)
    threads_.emplace_back([this, consumer = c.get()] {
      name_this_thread("amqp " + consumer->name.substr(7));
      consume(*consumer);
    });
}

void RabbitBus::stop() {
  stopping_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  if (publisher_thread_.joinable()) publisher_thread_.join();
  std::lock_guard lock(publish_mutex_);
  publisher_.reset();
  publisher_up_ = false;
}

void RabbitBus::pause(std::chrono::milliseconds d, Link* link) const {
  auto since_heartbeat = std::chrono::milliseconds(0);
  for (auto waited = std::chrono::milliseconds(0); waited < d && !stopping_;
       waited += std::chrono::milliseconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    since_heartbeat += std::chrono::milliseconds(10);
    if (link && since_heartbeat >= std::chrono::milliseconds(1000)) {
      link->send_heartbeat();
      since_heartbeat = std::chrono::milliseconds(0);
    }
  }
}

// Declares the consumer's queue and bindings, then delivers messages to the handler until stop(),
// rebuilding the connection with backoff whenever the broker goes away.
void RabbitBus::consume(Consumer& c) {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    bool connected = false;
    try {
      Link link(options_);
      std::string queue = c.name;
      if (c.transient) {
        amqp_queue_declare_ok_t* ok =
            amqp_queue_declare(link.conn, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
        link.check(amqp_get_rpc_reply(link.conn), "queue.declare (transient)");
        queue.assign(static_cast<char*>(ok->queue.bytes), ok->queue.len);
        for (const auto& pattern : c.patterns) {
          amqp_queue_bind(link.conn, 1, bytes(queue), bytes(options_.exchange), bytes(pattern),
                          amqp_empty_table);
          link.check(amqp_get_rpc_reply(link.conn), "queue.bind " + pattern);
        }
      } else {
        declare_durable(link, options_, queue, c.patterns);
      }
      amqp_basic_qos(link.conn, 1, 0, static_cast<std::uint16_t>(options_.prefetch), 0);
      link.check(amqp_get_rpc_reply(link.conn), "basic.qos");
      amqp_basic_consume(link.conn, 1, bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
      link.check(amqp_get_rpc_reply(link.conn), "basic.consume");
      backoff = std::chrono::milliseconds(100);
      log::info("event consumer connected", {{"queue", queue}});
      struct Counted {  // in consuming_ while this connection lasts
        std::atomic<std::size_t>& n;
        explicit Counted(std::atomic<std::size_t>& count) : n(count) { ++n; }
        ~Counted() { --n; }
        Counted(const Counted&) = delete;
        Counted& operator=(const Counted&) = delete;
      } counted(consuming_);
      connected = true;
      // Bound: from here on this queue gets every event; the subscriber catches up on before.
      if (c.on_bound) {
        try {
          c.on_bound();
        } catch (const std::exception& e) {
          log::warn("event subscription's catch-up failed",
                    {{"queue", queue}, {"error", e.what()}});
        }
      }

      while (!stopping_) {
        amqp_maybe_release_buffers(link.conn);
        amqp_envelope_t envelope;
        timeval tv{0, 200'000};
        amqp_rpc_reply_t r = amqp_consume_message(link.conn, &envelope, &tv, 0);
        if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) continue;
        link.check(r, "consume");
        std::string body(static_cast<char*>(envelope.message.body.bytes), envelope.message.body.len);
        std::uint64_t tag = envelope.delivery_tag;
        amqp_destroy_envelope(&envelope);

        bool handled = false;
        bool abandoned = false;  // stopping before the handler succeeded
        std::string error;
        std::string field;  // of a malformed event
        Event event;
        try {
          event = Event::from_json(body);
        } catch (const std::exception& e) {
          error = std::string("malformed event: ") + e.what();
          field = "envelope";
        }
        int failures = 0;
        auto wait = options_.retry_backoff;
        auto away_wait = options_.retry_backoff;
        while (error.empty() && !handled) {
          try {
            c.handler(event);
            handled = true;
          } catch (const storage::ConnectionLost& e) {
            // The consumer's database is away: the event is fine, so it waits for the database
            // (however long) instead of counting toward dead-lettering.
            if (stopping_) {
              abandoned = true;
              break;
            }
            if (away_wait == options_.retry_backoff)
              log::warn("event waits for the consumer's database", {{"queue", queue}, {"event_id", event.id},
                                                                    {"error", e.what()}});
            pause(away_wait, &link);
            away_wait = std::min(away_wait * 2, options_.max_retry_backoff);
          } catch (const MalformedEvent& e) {
            // Retrying cannot fix it, and the consumer applied none of it: dead-lettered at once.
            error = e.what();
            field = e.field();
          } catch (const std::exception& e) {
            if (stopping_) {  // left unacknowledged rather than using up its tries: delivered again
              abandoned = true;
              break;
            }
            if (++failures >= options_.max_attempts) {
              error = e.what();
            } else {
              pause(wait, &link);
              wait *= 2;
            }
          }
        }
        if (abandoned) break;  // unacknowledged: the broker delivers it again after we disconnect
        if (handled) {
          if (amqp_basic_ack(link.conn, 1, tag, 0) != AMQP_STATUS_OK) link.fail("ack");
        } else {
          // Poison: to the consumer's dead-letter queue, where an operator can look at it (a
          // transient queue has none: the event is dropped, after this log line).
          if (dead_letter_counter_) dead_letter_counter_->fetch_add(1);
          boost::json::object fields{{"queue", queue}, {"event_id", event.id}, {"type", event.type}, {"error", error}};
          if (!field.empty()) fields["field"] = field;
          else fields["attempts"] = failures;
          log::error(field.empty() ? "event dead-lettered" : "malformed event dead-lettered", std::move(fields));
          if (amqp_basic_nack(link.conn, 1, tag, 0, 0) != AMQP_STATUS_OK) link.fail("nack");
        }
      }
    } catch (const std::exception& e) {
      if (stopping_) break;
      if (connected && consumer_lost_) consumer_lost_->fetch_add(1);
      log::warn("event consumer disconnected; reconnecting", {{"queue", c.name}, {"error", e.what()},
                                                             {"retry_in_ms", backoff.count()}});
      for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stopping_; waited += std::chrono::milliseconds(50))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      backoff = std::min(backoff * 2, options_.max_reconnect_backoff);
    }
  }
}

}  // namespace parley::events
