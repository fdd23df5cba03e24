#pragma once
#include <functional>
#include <string>
#include <vector>

#include "parley/events/event.hpp"

namespace parley::events {

using EventHandler = std::function<void(const Event&)>;

class EventBus {
 public:
  virtual ~EventBus() = default;
  // Returns once the bus has taken responsibility for the event; throws if it could not.
  virtual void publish(const Event& event) = 0;
  // The same for several events at once (one wait for the broker, not one per event). If it
  // throws, any of them may or may not have been taken: the caller publishes them all again
  // (consumers drop duplicates by event id).
  virtual void publish_all(const std::vector<Event>& events) {
    for (const auto& e : events) publish(e);
  }
  // Events already serialized (Event::to_json), as an outbox keeps them: published as they are,
  // without parsing them again where the bus can. The same guarantees as publish_all.
  struct Serialized {
    std::string id;
    std::string type;
    std::string json;
  };
  virtual void publish_serialized(const std::vector<Serialized>& events) {
    std::vector<Event> parsed;
    parsed.reserve(events.size());
    for (const auto& e : events) parsed.push_back(Event::from_json(e.json));
    publish_all(parsed);
  }
  // A named, durable consumer (one queue per consuming service) receiving the events whose type
  // matches one of the patterns. A handler that throws is retried, then dead-lettered; one that
  // throws MalformedEvent (catalog.hpp) is dead-lettered at once; one that throws
  // storage::ConnectionLost (its database is away) is retried until the database is back.
  // Services subscribe through a Dispatcher (dispatcher.hpp). REQUIRES: called before start().
  virtual void subscribe(std::string consumer, std::vector<std::string> patterns,
                         EventHandler handler) = 0;
  // A subscription for this process only: every process (replica) gets its own copy, none is
  // kept while the process is down. For in-process state: token revocations, long-poll wakeups
  // (through a TransientDispatcher). A handler that throws is treated as in subscribe().
  // on_bound, when given, is called (on the bus's thread) each time the subscription starts
  // receiving: after start(), and again after every reconnection to the broker. Whatever was
  // published before that call may have been missed; whatever after it is received. A bus without
  // a broker misses nothing and never calls it.
  // REQUIRES: called before start().
  virtual void subscribe_transient(std::string name, std::vector<std::string> patterns,
                                   EventHandler handler, std::function<void()> on_bound = {}) = 0;
  virtual void start() = 0;
  virtual void stop() = 0;
  // True while every subscription receives events (for /readyz); a bus without a broker always is.
  virtual bool connected() const { return true; }
};

}  // namespace parley::events
