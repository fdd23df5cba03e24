#include <charconv>
#include <stdexcept>

#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"
#include "parley/core/time.hpp"
#include "parley/events/catalog.hpp"
#include "parley/service/service.hpp"

namespace parley::service {

void add_operations_routes(http::Router& router, http::Metrics& metrics, std::vector<Service*> services,
                           std::vector<std::pair<std::string, storage::Database*>> databases,
                           const events::EventBus& bus) {
  router.add("GET", "/livez", [](http::Request&) -> async::Task<http::Response> {
    co_return http::Response::json(200, boost::json::object{{"status", "ok"}});
  });
  router.add("GET", "/readyz", [services, databases, &bus](http::Request&) -> async::Task<http::Response> {
    boost::json::object checks;
    bool all = true;
    auto check = [&](const std::string& name, bool ok) {
      all = all && ok;
      checks[name] = ok ? "ok" : "unavailable";
    };
    for (Service* s : services) check(std::string(s->name()), s->ready());
    for (const auto& [name, db] : databases) {
      bool answered = true;
      try {
        co_await db->read([](storage::Tx& tx) { tx.query("SELECT 1"); });
      } catch (const std::exception&) {
        answered = false;
      }
      check("database:" + name, answered);
    }
    check("broker", bus.connected());
    co_return http::Response::json(all ? 200 : 503,
                                   boost::json::object{{"status", all ? "ok" : "unavailable"}, {"checks", checks}});
  });
  router.add("GET", "/metrics", [&metrics](http::Request&) -> async::Task<http::Response> {
    co_return http::Response::text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

void add_internal_route(http::Router& router, const ServiceCredential& credential, std::string method,
                        std::string pattern, http::Handler handler) {
  if (!pattern.starts_with("/internal/")) throw std::logic_error("not an internal route: " + pattern);
  router.add(std::move(method), std::move(pattern),
             [&credential, handler = std::move(handler)](http::Request& request) {
               credential.require(request);
               return handler(request);
             });
}

void subscribe_revocations(events::EventBus& bus, token::Verifier& verifier, std::string consumer,
                           std::function<void()> on_bound) {
  // Tokens live at most kMaxAccessTokenLifetime and pass until their exp plus the leeway; no need
  // to remember longer, and no less will do.
  auto until = [&verifier] { return time::now() + verifier.revocation_horizon(); };
  auto catch_up = on_bound;
  bus.subscribe_transient(
      std::move(consumer), {std::string(events::SessionRevoked::kType), std::string(events::UserDeleted::kType)},
      [&verifier, until, catch_up](const events::Event& e) {
        bool session = e.type == events::SessionRevoked::kType;
        try {
          if (session)
            verifier.revoke_session(events::parse<events::SessionRevoked>(e).session_id, until());
          else
            verifier.revoke_user(events::parse<events::UserDeleted>(e).user_id, until());
        } catch (const events::MalformedEvent&) {
          // A revocation this build cannot read (a newer version, a field gone) must not let a
          // token through: the id it names is refused all the same when it is there, and auth is
          // asked for its revocations, which it keeps in a form every version reads. The bus
          // still logs and counts the event as malformed.
          const auto* id = e.data.if_contains(session ? "session_id" : "user_id");
          if (id && id->is_string() && !id->as_string().empty()) {
            if (session)
              verifier.revoke_session(std::string(id->as_string()), until());
            else
              verifier.revoke_user(std::string(id->as_string()), until());
          }
          if (catch_up) catch_up();
          throw;
        }
      },
      std::move(on_bound));
}

async::Task<void> publish_now(Context& ctx, events::Outbox& outbox) {
  co_await ctx.blocking.run([&outbox] { outbox.try_flush(); });
}

void watch(http::Metrics& metrics, const std::string& service, storage::Database& db, events::Outbox& outbox) {
  std::string labels = "service=\"" + service + "\"";
  metrics.gauge("parley_db_write_queue", "Writes waiting for the database writer.", labels,
                [&db] { return static_cast<double>(db.queued_writes()); });
  metrics.gauge("parley_outbox_depth", "Committed events not yet relayed to the bus.", labels,
                [&outbox] { return static_cast<double>(outbox.depth()); });
}

std::string encode_cursor(const std::string& position) { return crypto::base64url_encode(position); }

std::string decode_cursor(const http::Request& request) {
  auto cursor = request.query_param("cursor");
  if (!cursor || cursor->empty()) return {};
  auto decoded = crypto::base64url_decode(*cursor);
  if (!decoded || decoded->size() > 256) throw Error::invalid_argument("cursor is not valid", "cursor");
  return *decoded;
}

int list_limit(const http::Request& request) {
  auto text = request.query_param("limit");
  if (!text) return 50;
  int value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec == std::errc::result_out_of_range && !text->empty() && (*text)[0] != '-') return 200;
  if (ec != std::errc() || end != text->data() + text->size() || value < 1)
    throw Error::invalid_argument("limit must be a whole number from 1 to 200", "limit");
  return value > 200 ? 200 : value;
}

}  // namespace parley::service
