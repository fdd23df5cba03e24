// The all-in-one Parley: every service in one process, each with its own SQLite file under
// PARLEY_DATA_DIR, events on the in-process bus, the whole API on PARLEY_LISTEN.

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <iostream>
#include <thread>

#include "auth/service.hpp"
#include "contacts/service.hpp"
#include "messages/service.hpp"
#include "parley/core/config.hpp"
#include "parley/core/crypto.hpp"
#include "parley/core/log.hpp"
#include "parley/events/in_process_bus.hpp"
#include "parley/http/router.hpp"
#include "parley/http/server.hpp"
#include "parley/storage/sqlite_database.hpp"
#include "users/service.hpp"

namespace {

// Every service the all-in-one hosts, in start-up order.
std::vector<std::unique_ptr<parley::service::Service>> make_services(parley::service::Context& ctx) {
  std::vector<std::unique_ptr<parley::service::Service>> services;
  services.push_back(parley::auth::make_service(ctx));
  services.push_back(parley::users::make_service(ctx));
  services.push_back(parley::contacts::make_service(ctx));
  services.push_back(parley::messages::make_service(ctx));
  return services;
}

void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int run() {
  using namespace parley;
  crypto::init();
  log::init();
  raise_open_file_limit();

  std::string data_dir = config::get_string("PARLEY_DATA_DIR", "./data");
  bool sync_full = config::get_bool("PARLEY_SQLITE_SYNC_FULL", true);
  auto reader_threads = static_cast<std::size_t>(config::get_int("PARLEY_DB_READERS", 2, 1, 64));
  auto server_options = http::Server::options_from_env();
  std::filesystem::create_directories(data_dir);

  http::Metrics metrics;
  events::InProcessBus bus({}, &metrics);
  token::Verifier verifier({});
  async::WorkerPool blocking({.name = "blocking", .threads = 4, .max_queued = 4096});
  service::Context ctx{
      .data_dir = data_dir,
      .bus = bus,
      .verifier = verifier,
      .metrics = metrics,
      .blocking = blocking,
      .open_database =
          [&](const std::string& name) {
            return storage::open_sqlite({.path = data_dir + "/" + name + ".db",
                                         .reader_threads = reader_threads,
                                         .synchronous_full = sync_full});
          },
  };
  service::subscribe_revocations(bus, verifier, "verifier");
  auto services = make_services(ctx);

  http::Router router(metrics, std::chrono::milliseconds(config::get_int("PARLEY_REQUEST_TIMEOUT_MS", 30'000, 100, 600'000)));
  std::vector<service::Service*> raw;
  for (auto& s : services) {
    s->add_routes(router);
    raw.push_back(s.get());
  }
  service::add_operations_routes(router, metrics, raw);

  http::Server server(server_options, router);
  server.on_shutdown([&] {
    for (auto& s : services) s->begin_shutdown();
  });
  server.listen();
  for (auto& s : services) s->start();
  log::info("parley listening", {{"url", "http://" + server_options.host + ":" + std::to_string(server.port())},
                                 {"data_dir", data_dir}});
  server.run();
  for (auto it = services.rbegin(); it != services.rend(); ++it) (*it)->stop();
  blocking.join();
  log::info("parley stopped");
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const parley::config::ConfigError& e) {
    std::cerr << "parley: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "parley: fatal: " << e.what() << "\n";
    return 1;
  }
}
