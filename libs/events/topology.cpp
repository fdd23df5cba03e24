#include "parley/events/topology.hpp"

#include <stdexcept>

namespace parley::events {

const std::vector<DurableConsumer>& durable_consumers() {
  static const std::vector<DurableConsumer> table{
      {"users", {"user.registered", "user.deleted"}},
      {"contacts", {"user.registered", "user.profile_updated", "user.deleted"}},
      {"messages",
       {"user.registered", "user.profile_updated", "user.deleted", "contact.accepted",
        "contact.removed", "block.added", "block.removed"}},
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
