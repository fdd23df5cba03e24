#pragma once
// Who consumes which events: one durable queue per consuming service ("parley.<name>") bound to
// the catalog's event types below. Each service subscribes with its row (Dispatcher::subscribe,
// which requires a handler for exactly the row's types), and
// the RabbitMQ publisher declares every row's queue and bindings before its first publish, so an
// event published before its consumer ever ran (a fresh install starting services in parallel)
// waits in the consumer's queue instead of being confirmed and dropped. One table for both: they
// cannot drift apart.

#include <string>
#include <string_view>
#include <vector>

namespace parley::events {

struct DurableConsumer {
  std::string name;                   // the consuming service; its queue is "parley.<name>"
  std::vector<std::string> patterns;  // the event types it receives (see matches())
};

// Every consuming service of Parley, in one table.
const std::vector<DurableConsumer>& durable_consumers();

// The row of one consumer. Throws std::logic_error for a name not in the table (a service
// subscribing without a row would miss what is published before it first starts).
const DurableConsumer& durable_consumer(std::string_view name);

}  // namespace parley::events
