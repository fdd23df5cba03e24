#include "parley/events/topology.hpp"

#include <stdexcept>

#include "parley/events/catalog.hpp"

namespace parley::events {

namespace {
// The routing keys of catalog types.
template <EventType... E>
std::vector<std::string> types() {
  return {std::string(E::kType)...};
}
}  // namespace

const std::vector<DurableConsumer>& durable_consumers() {
  static const std::vector<DurableConsumer> table{
      {"users", types<UserRegistered, UserDeleted>()},
      {"contacts", types<UserRegistered, UserProfileUpdated, UserDeleted>()},
      {"messages", types<UserRegistered, UserProfileUpdated, UserDeleted, ContactAccepted,
                         ContactRemoved, BlockAdded, BlockRemoved>()},
  };
  return table;
}

const DurableConsumer& durable_consumer(std::string_view name) {
  for (const auto& c : durable_consumers())
    if (c.name == name) return c;
  throw std::logic_error("no durable consumer named '" + std::string(name) +
                         "' in events/topology.cpp");
}

}  // namespace parley::events
