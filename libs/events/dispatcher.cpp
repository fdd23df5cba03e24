#include "parley/events/dispatcher.hpp"

#include <algorithm>
#include <stdexcept>

#include "parley/core/log.hpp"
#include "parley/events/outbox.hpp"

namespace parley::events {

namespace detail {
void duplicate_handler(const std::string& type) {
  throw std::logic_error("two handlers for event type " + type);
}
}  // namespace detail

namespace {
void ignored(const Event& event) {
  log::info("event of a type this consumer does not handle; ignored",
            {{"event_id", event.id}, {"type", event.type}});
}
}  // namespace

void Dispatcher::subscribe(EventBus& bus, const DurableConsumer& row, storage::Database& db) const {
  auto mine = types();
  for (const auto& type : row.patterns)
    if (std::find(mine.begin(), mine.end(), type) == mine.end())
      throw std::logic_error("consumer '" + row.name + "' has no handler for " + type +
                             ", which events/topology.cpp routes to it");
  for (const auto& type : mine)
    if (std::find(row.patterns.begin(), row.patterns.end(), type) == row.patterns.end())
      throw std::logic_error("consumer '" + row.name + "' handles " + type +
                             ", which events/topology.cpp does not route to it");
  bus.subscribe(row.name, row.patterns, handler(db));
}

EventHandler Dispatcher::handler(storage::Database& db) const {
  return [self = *this, &db](const Event& event) {
    // Parsed before the transaction: a MalformedEvent applies nothing.
    Bound effect;
    try {
      effect = self.bind(event);
    } catch (const MalformedEvent&) {
      // One this consumer applied already (a redelivery of what an older build read) is a
      // duplicate, dropped as any other, not poison for an operator to look at.
      if (inbox_has(db, event)) return;
      throw;
    }
    if (!effect) return ignored(event);
    try {
      handle_once(db, event, effect);
    } catch (const MalformedEvent& m) {
      if (!m.id().empty()) throw;
      // An effect that refused the event's content (require_non_empty and the like) does not
      // know its id: named here, for the log and the dead letter.
      throw MalformedEvent(m.type(), event.id, m.field(), m.problem());
    }
  };
}

void TransientDispatcher::subscribe(EventBus& bus, std::string name,
                                    std::function<void()> on_bound) const {
  bus.subscribe_transient(std::move(name), types(), handler(), std::move(on_bound));
}

EventHandler TransientDispatcher::handler() const {
  return [self = *this](const Event& event) {
    auto handle = self.bind(event);
    if (!handle) return ignored(event);
    handle();
  };
}

}  // namespace parley::events
