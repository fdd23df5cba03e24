#pragma once
// Typed dispatch for consumers: a consumer registers one handler per catalog type it consumes,
// and subscribes with exactly those types. Each event is parsed into its struct before anything
// is applied: a malformed one (events::MalformedEvent) never reaches a handler, and the bus
// dead-letters it at once, without retries (see EventBus::subscribe).
//
//   events::Dispatcher d;
//   d.on<events::ContactAccepted>([&](storage::Tx& tx, const events::ContactAccepted& e) { … });
//   d.subscribe(bus, events::durable_consumer("messages"), db);

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "parley/events/bus.hpp"
#include "parley/events/catalog.hpp"
#include "parley/events/topology.hpp"
#include "parley/storage/database.hpp"

namespace parley::events {

namespace detail {

[[noreturn]] void duplicate_handler(const std::string& type);

// The handlers of one consumer by event type; Args are what a handler gets before the event.
template <class... Args>
class TypedHandlers {
 public:
  using Bound = std::function<void(Args...)>;

  // The registered types, in the order of registration.
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.type);
    return out;
  }

  // Parses event into its type's struct and returns its handler bound to it; an empty function
  // for a type without a handler. Throws MalformedEvent.
  Bound bind(const Event& event) const {
    for (const auto& e : entries_)
      if (e.type == event.type) return e.bind(event);
    return {};
  }

 protected:
  // Throws std::logic_error for a type registered twice.
  template <class E>
  void add(std::function<void(Args..., const E&)> handler) {
    for (const auto& e : entries_)
      if (e.type == E::kType) duplicate_handler(e.type);
    entries_.push_back(
        Entry{std::string(E::kType), [handler = std::move(handler)](const Event& event) {
                auto parsed = std::make_shared<const E>(parse<E>(event));
                return Bound([handler, parsed](Args... args) {
                  handler(std::forward<Args>(args)..., *parsed);
                });
              }});
  }

 private:
  struct Entry {
    std::string type;
    std::function<Bound(const Event&)> bind;
  };
  std::vector<Entry> entries_;
};

}  // namespace detail

// A durable consumer's handlers: each applies one event type to the service's own database, in
// the transaction that records the event in the inbox (applied once per event id).
class Dispatcher : public detail::TypedHandlers<storage::Tx&> {
 public:
  // REQUIRES: before subscribe(); one handler per type (std::logic_error otherwise).
  template <EventType E>
  Dispatcher& on(std::function<void(storage::Tx&, const E&)> effect) {
    add<E>(std::move(effect));
    return *this;
  }

  // Subscribes as the durable consumer `row` of the topology table (topology.cpp), which
  // publishers declare for it. REQUIRES: a handler for each type of row.patterns and for no other
  // (std::logic_error naming the type otherwise: the table and the consumer cannot drift apart).
  // db must outlive the subscription.
  void subscribe(EventBus& bus, const DurableConsumer& row, storage::Database& db) const;

  // What subscribe() gives the bus: parses the event (throws MalformedEvent, before any
  // transaction), then applies it with handle_once. An event of a type without a handler is
  // acknowledged and ignored (a binding an older version left on the broker's queue).
  EventHandler handler(storage::Database& db) const;
};

// Handlers of in-memory state, without a database or an inbox (token revocations, long-poll
// wake-ups), for EventBus::subscribe_transient.
class TransientDispatcher : public detail::TypedHandlers<> {
 public:
  // REQUIRES: before subscribe(); one handler per type (std::logic_error otherwise).
  template <EventType E>
  TransientDispatcher& on(std::function<void(const E&)> handler) {
    add<E>(std::move(handler));
    return *this;
  }

  // Subscribes this process (see EventBus::subscribe_transient) to the registered types.
  void subscribe(EventBus& bus, std::string name, std::function<void()> on_bound = {}) const;

  // What subscribe() gives the bus: parses the event (throws MalformedEvent), then handles it.
  EventHandler handler() const;
};

}  // namespace parley::events
