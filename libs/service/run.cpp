#include "parley/service/run.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "parley/core/config.hpp"
#include "parley/core/crypto.hpp"
#include "parley/core/log.hpp"
#include "parley/events/in_process_bus.hpp"
#include "parley/events/rabbitmq_bus.hpp"
#include "parley/http/router.hpp"
#include "parley/http/server.hpp"
#include "parley/http/static_files.hpp"
#include "parley/service/revocation_catch_up.hpp"
#include "parley/storage/mysql_database.hpp"
#include "parley/storage/sqlite_database.hpp"

namespace parley::service {

namespace {

void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// An exclusive lock on the data directory (flock on <data dir>/parley.lock), held for the
// process's life: two processes on the same SQLite files would each keep in memory what the
// other's writes change (sync logs, throttles, caches). A second process stops at start-up,
// naming the setting and the holder's pid (exit status 2). The kernel drops the lock when the
// process ends, however it ends.
class DataDirLock {
 public:
  explicit DataDirLock(const std::string& data_dir) {
    std::string path = data_dir + "/parley.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0)
      throw config::ConfigError("PARLEY_DATA_DIR: cannot open " + path + ": " +
                                std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      int error = errno;
      char pid[32] = {};
      ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
      std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : std::string("?");
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      ::close(fd_);
      if (error == EWOULDBLOCK)
        throw config::ConfigError("PARLEY_DATA_DIR: " + data_dir +
                                  " is in use by another parley process (pid " + holder +
                                  "); stop it first, or give this one another data directory");
      throw config::ConfigError("PARLEY_DATA_DIR: cannot lock " + path + ": " +
                                std::strerror(error));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      // The pid is only for the message another process prints; the lock is what counts.
    }
  }
  ~DataDirLock() { ::close(fd_); }
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  int fd_ = -1;
};

// Loads the public keys another process (auth) published as a JWK Set file.
void load_jwks(token::Verifier& verifier, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw config::ConfigError("PARLEY_JWKS_FILE: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto jwks = boost::json::parse(text.str(), ec);
  if (ec || !jwks.is_object() || !jwks.as_object().contains("keys") || !jwks.at("keys").is_array())
    throw config::ConfigError("PARLEY_JWKS_FILE: " + path + " is not a JWK Set");
  for (const auto& key : jwks.at("keys").as_array()) {
    auto x = key.is_object() && key.as_object().contains("x") ? crypto::base64url_decode(key.at("x").as_string())
                                                               : std::nullopt;
    if (!x || !key.as_object().contains("kid")) throw config::ConfigError("PARLEY_JWKS_FILE: a key lacks x or kid");
    verifier.add_key(std::string(key.at("kid").as_string()), *x);
  }
}

// A URL setting parsed by parse; what it rejects stops the process naming the setting.
template <class Parse>
auto parse_setting(const char* name, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(std::string(name) + " " + e.what());
  }
}

// The built web app the process serves at / (PARLEY_WEB_DIR): by default the source tree's
// web/dist in a process that hosts several services (the all-in-one); a process hosting one
// service leaves the app to the gateway unless the setting names a folder. Empty: no web app.
// A missing folder, or one without index.html (not built yet), serves none, with a warning.
std::unique_ptr<http::StaticFiles> load_web_app(bool hosts_several_services) {
  std::string dir = config::is_set("PARLEY_WEB_DIR") ? config::get_string("PARLEY_WEB_DIR", "")
                    : hosts_several_services         ? std::string(PARLEY_DEFAULT_WEB_DIR)
                                                     : std::string();
  if (dir.empty()) return nullptr;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "index.html", ec)) {
    log::warn("no web app to serve: its folder is missing or has no index.html (PARLEY_WEB_DIR)",
              {{"path", dir}});
    return nullptr;
  }
  try {
    auto files = http::StaticFiles::load({.root = dir});
    log::info("serving the web app", {{"path", dir},
                                      {"files", static_cast<std::int64_t>(files->file_count())},
                                      {"bytes", static_cast<std::int64_t>(files->total_bytes())}});
    return files;
  } catch (const std::exception& e) {
    throw config::ConfigError(std::string("PARLEY_WEB_DIR: ") + e.what());
  }
}

int run(const std::vector<Factory>& factories) {
  crypto::init();
  log::init();
  raise_open_file_limit();

  std::string data_dir = config::get_string("PARLEY_DATA_DIR", "./data");
  bool sync_full = config::get_bool("PARLEY_SQLITE_SYNC_FULL", true);
  auto reader_threads = static_cast<std::size_t>(config::get_int("PARLEY_DB_READERS", 2, 1, 64));
  std::string database_url = config::get_string("PARLEY_DATABASE_URL", "");
  std::string amqp_url = config::get_string("PARLEY_AMQP_URL", "");
  std::string jwks_file = config::get_string("PARLEY_JWKS_FILE", "");
  std::string service_token_file = config::get_string("PARLEY_SERVICE_TOKEN_FILE", data_dir + "/service-token");
  std::string auth_internal_url = config::get_string("PARLEY_AUTH_INTERNAL_URL", "");
  auto server_options = http::Server::options_from_env();
  auto request_timeout = std::chrono::milliseconds(config::get_int("PARLEY_REQUEST_TIMEOUT_MS", 30'000, 100, 600'000));
  std::optional<storage::MysqlOptions> mysql;
  if (!database_url.empty()) {
    mysql = parse_setting("PARLEY_DATABASE_URL", database_url, storage::parse_mysql_url);
    mysql->reader_connections = reader_threads;
  }
  std::optional<events::RabbitOptions> amqp;
  if (!amqp_url.empty()) {
    amqp = parse_setting("PARLEY_AMQP_URL", amqp_url, events::parse_amqp_url);
    amqp->heartbeat = std::chrono::seconds(config::get_int("PARLEY_AMQP_HEARTBEAT_S", 10, 0, 600));
    amqp->topology = events::durable_consumers();
  }
  auto web_app = load_web_app(factories.size() > 1);
  std::filesystem::create_directories(data_dir);
  // SQLite files in the data directory: one process at a time. (With MariaDB the directory holds
  // only keys, which replicas may share.)
  std::optional<DataDirLock> data_dir_lock;
  if (!mysql) data_dir_lock.emplace(data_dir);
  ServiceCredential service_credential(load_or_create_service_token(service_token_file));

  http::Metrics metrics;
  std::unique_ptr<events::EventBus> bus;
  if (amqp) bus = std::make_unique<events::RabbitBus>(*amqp, &metrics);
  else bus = std::make_unique<events::InProcessBus>(events::InProcessBus::Options{}, &metrics);
  token::Verifier verifier({});
  if (!jwks_file.empty()) load_jwks(verifier, jwks_file);
  async::WorkerPool blocking({.name = "blocking", .threads = 4, .max_queued = 100'000});
  std::vector<std::pair<std::string, storage::Database*>> databases;  // opened by the services, for /readyz
  Context ctx{
      .data_dir = data_dir,
      .bus = *bus,
      .verifier = verifier,
      .service_credential = service_credential,
      .metrics = metrics,
      .blocking = blocking,
      .open_database =
          [&](const std::string& name) -> std::unique_ptr<storage::Database> {
            std::unique_ptr<storage::Database> db;
            if (mysql) {
              // One database per service: "{service}" in the URL's database name becomes its name.
              storage::MysqlOptions o = *mysql;
              auto at = o.database.find("{service}");
              o.database = at == std::string::npos ? o.database + "_" + name : o.database.replace(at, 9, name);
              db = storage::open_mysql(o);
            } else {
              db = storage::open_sqlite({.path = data_dir + "/" + name + ".db",
                                         .reader_threads = reader_threads,
                                         .synchronous_full = sync_full});
            }
            databases.emplace_back(name, db.get());
            return db;
          },
      .single_process = !amqp,
  };
  // With a broker, revocations published while this process was away or cut off from it are
  // asked of auth whenever the revocation subscription is bound (at start and after an outage).
  std::unique_ptr<RevocationCatchUp> catch_up;
  subscribe_revocations(*bus, verifier, "verifier", [&catch_up] {
    if (catch_up) catch_up->request();
  });
  std::vector<std::unique_ptr<Service>> services;
  for (Factory make : factories) services.push_back(make(ctx));
  bool hosts_auth = std::any_of(services.begin(), services.end(),
                                [](const auto& s) { return s->name() == "auth"; });

  http::Router router(metrics, request_timeout);
  std::vector<Service*> raw;
  for (auto& s : services) {
    s->add_routes(router);
    raw.push_back(s.get());
  }
  add_operations_routes(router, metrics, raw, databases, *bus);
  if (web_app)
    router.set_fallback(
        "(web)", [&web_app](const http::Request& request) { return web_app->serve(request); });

  http::Server server(server_options, router, metrics);
  server.on_shutdown([&] {
    for (auto& s : services) s->begin_shutdown();
  });
  server.listen();
  if (amqp) {
    // A process hosting auth asks itself, unless told otherwise.
    if (auth_internal_url.empty() && hosts_auth) {
      std::string host = server_options.host == "0.0.0.0" || server_options.host == "::"
                             ? "127.0.0.1"
                             : server_options.host;
      auth_internal_url = "http://" + host + ":" + std::to_string(server.port());
    }
    if (!auth_internal_url.empty())
      catch_up =
          parse_setting("PARLEY_AUTH_INTERNAL_URL", auth_internal_url, [&](const std::string& url) {
            return std::make_unique<RevocationCatchUp>(url, service_credential, verifier);
          });
    else
      log::warn(
          "PARLEY_AUTH_INTERNAL_URL is not set: revocations published while this process is away "
          "from the "
          "broker are not caught up, and their tokens pass until they expire");
  }
  bus->start();
  for (auto& s : services) s->start();
  std::string names;
  for (auto* s : raw) names += (names.empty() ? "" : ",") + std::string(s->name());
  log::info("parley listening", {{"url", "http://" + server_options.host + ":" + std::to_string(server.port())},
                                 {"services", names},
                                 {"storage", mysql ? "mysql" : "sqlite"},
                                 {"bus", amqp ? "rabbitmq" : "in-process"}});
  server.run();
  for (auto it = services.rbegin(); it != services.rend(); ++it) (*it)->stop();
  bus->stop();
  if (catch_up) catch_up->stop();
  blocking.join();
  log::info("parley stopped");
  return 0;
}

}  // namespace

int run_host(const std::vector<Factory>& factories) {
  try {
    return run(factories);
  } catch (const config::ConfigError& e) {
    std::cerr << "parley: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "parley: fatal: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace parley::service
