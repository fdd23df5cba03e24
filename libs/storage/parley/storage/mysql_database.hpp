#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "parley/storage/database.hpp"

namespace parley::storage {

struct MysqlOptions {
  std::string host = "127.0.0.1";       // TCP host (ignored when socket is set)
  unsigned port = 3306;
  std::string socket;                   // unix socket path, preferred when set
  std::string user = "parley";
  std::string password;
  std::string database;                 // created if missing and the user may
  std::size_t reader_connections = 4;   // reader threads, each with its own connection
  std::size_t max_batch = 256;          // writes committed in one transaction at most
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds io_timeout{30};  // a statement that waits longer fails (503)
  std::chrono::milliseconds lease_recheck{1000};  // how long hold_lease reuses its last answer
};

// mysql://user:password@host:port/database or mysql://user@localhost/database?socket=/path.
// Throws std::invalid_argument naming what is wrong.
MysqlOptions parse_mysql_url(std::string_view url);
// Throws std::invalid_argument unless name is 1-64 letters, digits, _ or $.
void check_database_name(std::string_view name);

// MariaDB 10.11 / MySQL 8 through libmariadb: one writer connection that group-commits (a write
// that fails undoes only itself), a pool of reader connections, reconnection after the server
// restarts (the batch in flight fails with 503; later ones succeed), per-statement timeouts.
// Throws std::invalid_argument for a database name check_database_name refuses.
std::unique_ptr<Database> open_mysql(MysqlOptions options);

}  // namespace parley::storage
