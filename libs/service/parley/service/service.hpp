#pragma once
// What a service is to its host, and what the host gives it. The all-in-one binary hosts every
// service in one process; a standalone executable hosts one.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parley/async/worker_pool.hpp"
#include "parley/events/bus.hpp"
#include "parley/events/outbox.hpp"
#include "parley/http/metrics.hpp"
#include "parley/http/router.hpp"
#include "parley/service/credential.hpp"
#include "parley/storage/database.hpp"
#include "parley/storage/page.hpp"
#include "parley/token/jwt.hpp"

namespace parley::service {

struct Context {
  std::string data_dir;            // where file-backed state lives
  events::EventBus& bus;           // events between services
  token::Verifier& verifier;       // checks access tokens
  const ServiceCredential& service_credential;  // guards /internal/ routes (add_internal_route)
  http::Metrics& metrics;          // shared metrics registry
  async::WorkerPool& blocking;     // for blocking glue work (outbox flushes)
  // Opens (creating if needed) this service's own database.
  std::function<std::unique_ptr<storage::Database>(const std::string& service)> open_database;
  // True when every service runs in this one process (the all-in-one): in-memory shortcuts such
  // as the sync tail are then complete; with replicas they are not.
  bool single_process = true;
};

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view name() const = 0;
  // Adds the service's routes to the router.
  virtual void add_routes(http::Router& router) = 0;
  // Starts background work (outbox relay). Consumers are subscribed in the constructor.
  virtual void start() = 0;
  // Stops background work, relaying what is committed.
  virtual void stop() = 0;
  // Called once when the server begins a graceful shutdown: release waiting long polls.
  virtual void begin_shutdown() {}
  // True when the service's own dependencies answer (for /readyz; the host checks its database
  // and the bus).
  virtual bool ready() { return true; }
};

// Makes a route handler of a service member function.
template <class S>
http::Handler bind(S* self, async::Task<http::Response> (S::*method)(http::Request&)) {
  return [self, method](http::Request& r) { return (self->*method)(r); };
}

// Adds a route under /internal/ that only callers presenting the service credential reach; any
// other caller (none, a wrong secret, a user's access token) gets 401 unauthenticated before the
// handler runs. Throws std::logic_error for a pattern outside /internal/.
void add_internal_route(http::Router& router, const ServiceCredential& credential, std::string method,
                        std::string pattern, http::Handler handler);

// A route that an object of a service's handlers serves with one of its member functions.
template <class H>
struct Route {
  std::string method;
  std::string pattern;  // under /internal/: for callers presenting the service credential only
  async::Task<http::Response> (H::*handler)(http::Request&);
};

// Adds each route, served by handlers (which must outlive the router); a pattern under /internal/
// through add_internal_route, so that a service's route table cannot leave one unguarded.
template <class H>
void add_routes(http::Router& router, const ServiceCredential& credential, H& handlers,
                const std::vector<Route<H>>& routes) {
  for (const auto& route : routes) {
    if (route.pattern.starts_with("/internal/"))
      add_internal_route(router, credential, route.method, route.pattern, bind(&handlers, route.handler));
    else
      router.add(route.method, route.pattern, bind(&handlers, route.handler));
  }
}

// Relays outbox's committed events before the caller answers, so that other services already
// see them (read-your-writes in the all-in-one; in distributed mode, once the broker has them).
// Never fails the caller: the change is committed and, while the broker is away, its events wait
// in the outbox for the relay.
async::Task<void> publish_now(Context& ctx, events::Outbox& outbox);

// Registers the gauges of a service's database and outbox (write queue, outbox depth).
void watch(http::Metrics& metrics, const std::string& service, storage::Database& db, events::Outbox& outbox);

// Adds /livez, /readyz and /metrics for the given services. /readyz answers 503 unless every
// service is ready, every database answers a query and the bus is connected.
void add_operations_routes(http::Router& router, http::Metrics& metrics, std::vector<Service*> services,
                           std::vector<std::pair<std::string, storage::Database*>> databases,
                           const events::EventBus& bus);

// Feeds the verifier's revocation list from session.revoked and user.deleted events. on_bound is
// called each time the subscription (re)starts receiving, when events may have been missed
// before (see EventBus::subscribe_transient and RevocationCatchUp), and after an event this
// build cannot read (logged and counted by the bus as malformed), whose id, when it names one,
// is revoked all the same: a revocation is never let go.
void subscribe_revocations(events::EventBus& bus, token::Verifier& verifier, std::string consumer,
                           std::function<void()> on_bound = {});

// Opaque list cursors: the position of the last item returned, base64url-encoded.
std::string encode_cursor(const std::string& position);
// The decoded ?cursor=, or "" when absent; throws invalid_argument naming "cursor" when malformed.
std::string decode_cursor(const http::Request& request);

// Parses ?limit= (default 50, at most 200; larger values are clamped) or throws invalid_argument.
int list_limit(const http::Request& request);

// A list's answer {items, next_cursor}: each item as item_json makes it, and when more follow a
// cursor naming position(last item) (read the next page after it with decode_cursor).
template <class T, class ItemJson, class Position>
boost::json::object list_json(const storage::Page<T>& page, ItemJson item_json, Position position) {
  boost::json::array items;
  items.reserve(page.items.size());
  for (const auto& item : page.items) items.push_back(item_json(item));
  boost::json::value next = nullptr;
  if (page.more && !page.items.empty()) next = encode_cursor(position(page.items.back()));
  return boost::json::object{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

}  // namespace parley::service
