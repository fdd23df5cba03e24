#include "parley/storage/mysql_database.hpp"

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include <boost/url/parse.hpp>
#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "group_commit.hpp"
#include "parley/async/worker_pool.hpp"
#include "parley/core/log.hpp"

namespace parley::storage {

void check_database_name(std::string_view name) {
  // The name is also written into SQL (CREATE DATABASE `name`), where it cannot be a parameter.
  if (name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
      }))
    throw std::invalid_argument("database name may hold only letters, digits, _ and $ (at most 64)");
}

MysqlOptions parse_mysql_url(std::string_view text) {
  auto url = boost::urls::parse_uri(text);
  if (!url || url->scheme() != "mysql") throw std::invalid_argument("must look like mysql://user:password@host:port/database");
  MysqlOptions o;
  o.user = std::string(url->user());
  o.password = std::string(url->password());
  if (url->has_authority() && !url->host().empty()) o.host = std::string(url->host());
  if (url->has_port()) o.port = url->port_number();
  std::string path(url->path());
  if (path.size() < 2) throw std::invalid_argument("names no database");
  o.database = path.substr(1);
  std::string plain = o.database;  // "{service}" is replaced by each service's name later
  for (auto at = plain.find("{service}"); at != std::string::npos; at = plain.find("{service}")) plain.erase(at, 9);
  check_database_name(plain);
  for (auto param : url->params())
    if (param.key == "socket") o.socket = std::string(param.value);
  if (o.user.empty()) throw std::invalid_argument("names no user");
  return o;
}

namespace {

// MySQL 8.0.24+ sends this before closing a connection idle past wait_timeout (MariaDB just
// closes it); libmariadb's headers do not name it.
constexpr unsigned kClientInteractionTimeout = 4031;

bool connection_error(unsigned code) {
  return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == CR_CONNECTION_ERROR ||
         code == CR_CONN_HOST_ERROR || code == CR_SERVER_LOST_EXTENDED || code == ER_CONNECTION_KILLED ||
         code == ER_SERVER_SHUTDOWN || code == kClientInteractionTimeout;
}

class Connection {
 public:
  explicit Connection(const MysqlOptions& o) : options_(o) { connect(); }
  std::int64_t last_insert_id() const { return last_insert_id_; }
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Reconnects if the last statement lost the connection. Throws ConnectionLost if it cannot.
  void ensure() {
    if (!broken_) return;
    close();
    connect();
  }

  void step(std::string_view sql) {
    if (mysql_real_query(db_, sql.data(), sql.size()) != 0) fail(mysql_errno(db_), mysql_error(db_));
    if (MYSQL_RES* r = mysql_store_result(db_)) mysql_free_result(r);
  }

  void script(std::string_view sql) {
    std::size_t start = 0;
    while (start < sql.size()) {
      std::size_t end = sql.find(';', start);
      if (end == std::string_view::npos) end = sql.size();
      std::string_view one = sql.substr(start, end - start);
      if (one.find_first_not_of(" \t\r\n") != std::string_view::npos) step(one);
      start = end + 1;
    }
  }

  Rows run(std::string_view sql, const std::vector<Value>& params, std::int64_t* affected) {
    MYSQL_STMT* st = prepare(sql);
    std::vector<MYSQL_BIND> binds(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      MYSQL_BIND& b = binds[i];
      std::memset(&b, 0, sizeof b);
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        b.buffer_type = MYSQL_TYPE_NULL;
      } else if (auto n = std::get_if<std::int64_t>(&v)) {
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = const_cast<std::int64_t*>(n);
      } else {
        const auto& s = std::get<std::string>(v);
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = const_cast<char*>(s.data());
        b.buffer_length = s.size();
        b.length_value = s.size();
        b.length = &b.length_value;
      }
    }
    if (mysql_stmt_param_count(st) != params.size()) throw StorageError("wrong number of SQL parameters");
    if ((!binds.empty() && mysql_stmt_bind_param(st, binds.data())) || mysql_stmt_execute(st))
      fail(mysql_stmt_errno(st), mysql_stmt_error(st));
    Rows rows;
    if (MYSQL_RES* meta = mysql_stmt_result_metadata(st)) {
      unsigned n = mysql_num_fields(meta);
      mysql_free_result(meta);
      std::vector<MYSQL_BIND> out(n);
      std::vector<std::string> buffers(n, std::string(256, '\0'));
      std::vector<unsigned long> lengths(n);
      std::vector<my_bool> nulls(n);
      for (unsigned c = 0; c < n; ++c) {
        std::memset(&out[c], 0, sizeof out[c]);
        out[c].buffer_type = MYSQL_TYPE_STRING;
        out[c].buffer = buffers[c].data();
        out[c].buffer_length = buffers[c].size();
        out[c].length = &lengths[c];
        out[c].is_null = &nulls[c];
      }
      if (mysql_stmt_bind_result(st, out.data())) fail(mysql_stmt_errno(st), mysql_stmt_error(st));
      for (;;) {
        int rc = mysql_stmt_fetch(st);
        if (rc == MYSQL_NO_DATA) break;
        if (rc == 1) fail(mysql_stmt_errno(st), mysql_stmt_error(st));
        std::vector<Value> values;
        values.reserve(n);
        for (unsigned c = 0; c < n; ++c) {
          if (nulls[c]) {
            values.emplace_back(nullptr);
            continue;
          }
          std::string value(lengths[c], '\0');
          if (lengths[c] <= buffers[c].size()) {
            value.assign(buffers[c].data(), lengths[c]);
          } else {  // longer than the buffer: fetch the whole column
            MYSQL_BIND whole;
            std::memset(&whole, 0, sizeof whole);
            whole.buffer_type = MYSQL_TYPE_STRING;
            whole.buffer = value.data();
            whole.buffer_length = value.size();
            if (mysql_stmt_fetch_column(st, &whole, c, 0)) fail(mysql_stmt_errno(st), mysql_stmt_error(st));
          }
          values.emplace_back(std::move(value));
        }
        rows.emplace_back(std::move(values));
      }
      mysql_stmt_free_result(st);
    }
    if (affected) *affected = static_cast<std::int64_t>(mysql_stmt_affected_rows(st));
    last_insert_id_ = static_cast<std::int64_t>(mysql_stmt_insert_id(st));
    return rows;
  }

 private:
  void connect() {
    db_ = mysql_init(nullptr);
    if (!db_) throw StorageError("mysql: out of memory");
    unsigned connect_timeout = static_cast<unsigned>(options_.connect_timeout.count());
    unsigned io_timeout = static_cast<unsigned>(options_.io_timeout.count());
    mysql_optionsv(db_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_optionsv(db_, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_optionsv(db_, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_optionsv(db_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const char* socket = options_.socket.empty() ? nullptr : options_.socket.c_str();
    auto open = [&](const char* database) {
      // libmariadb takes the socket only for host "localhost"
      const char* host = socket ? "localhost" : options_.host.c_str();
      return mysql_real_connect(db_, host, options_.user.c_str(), options_.password.c_str(), database,
                                options_.port, socket, CLIENT_FOUND_ROWS) != nullptr;
    };
    if (!open(options_.database.c_str())) {
      unsigned code = mysql_errno(db_);
      std::string message = mysql_error(db_);
      if (code != ER_BAD_DB_ERROR || !open(nullptr)) {
        close();
        throw ConnectionLost("mysql: cannot connect: " + message);
      }
      step("CREATE DATABASE IF NOT EXISTS `" + options_.database + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
      if (mysql_select_db(db_, options_.database.c_str())) fail(mysql_errno(db_), mysql_error(db_));
    }
    step("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'");
    broken_ = false;
  }

  void close() {
    for (auto& [sql, st] : statements_) mysql_stmt_close(st);
    statements_.clear();
    if (db_) mysql_close(db_);
    db_ = nullptr;
  }

  MYSQL_STMT* prepare(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    MYSQL_STMT* st = mysql_stmt_init(db_);
    if (!st) throw StorageError("mysql: out of memory");
    if (mysql_stmt_prepare(st, sql.data(), sql.size())) {
      unsigned code = mysql_stmt_errno(st);
      std::string message = mysql_stmt_error(st);
      mysql_stmt_close(st);
      fail(code, message);
    }
    statements_.emplace(std::string(sql), st);
    return st;
  }

  [[noreturn]] void fail(unsigned code, const std::string& message) {
    if (connection_error(code)) {
      broken_ = true;
      throw ConnectionLost("mysql: connection lost: " + message);
    }
    if (code == ER_LOCK_DEADLOCK) throw TransactionAborted("mysql: " + message);
    if (code == ER_DUP_ENTRY || code == ER_NO_REFERENCED_ROW_2 || code == ER_ROW_IS_REFERENCED_2 ||
        code == ER_DUP_ENTRY_WITH_KEY_NAME)
      throw ConstraintViolation("mysql: " + message);
    throw StorageError("mysql " + std::to_string(code) + ": " + message);
  }

  MysqlOptions options_;
  MYSQL* db_ = nullptr;
  bool broken_ = false;
  std::int64_t last_insert_id_ = 0;
  std::unordered_map<std::string, MYSQL_STMT*> statements_;
};

class MysqlTx final : public Tx {
 public:
  explicit MysqlTx(Connection& c) : conn_(c) {}
  // Tx
  std::int64_t exec(std::string_view sql, const std::vector<Value>& params) override {
    std::int64_t affected = 0;
    conn_.run(sql, params, &affected);
    return affected;
  }
  Rows query(std::string_view sql, const std::vector<Value>& params) override { return conn_.run(sql, params, nullptr); }
  void exec_script(std::string_view sql) override { conn_.script(sql); }
  Dialect dialect() const override { return Dialect::mysql; }
  void after_commit(std::function<void()>) override {}
  std::int64_t last_insert_id() override { return conn_.last_insert_id(); }

 private:
  Connection& conn_;
};

class MysqlWriter final : public detail::WriterBackend {
 public:
  explicit MysqlWriter(const MysqlOptions& o) : options_(o) {}

  // detail::WriterBackend
  void begin() override {
    // A connection the server dropped since its last use (a restart) fails here, before any write
    // ran on it: a new connection takes its place. Only if that fails too is the server away.
    for (int attempt = 1;; ++attempt) {
      try {
        if (!conn_) conn_ = std::make_unique<Connection>(options_);
        conn_->ensure();
        conn_->step("START TRANSACTION");
        return;
      } catch (const ConnectionLost&) {
        conn_.reset();
        if (attempt == 2) throw;
      }
    }
  }
  void commit() override { conn_->step("COMMIT"); }
  void rollback() noexcept override {
    try {
      if (conn_) conn_->step("ROLLBACK");
    } catch (...) {
    }
  }
  void savepoint() override { conn_->step("SAVEPOINT job"); }
  void release_savepoint() override { conn_->step("RELEASE SAVEPOINT job"); }
  void rollback_to_savepoint() override { conn_->step("ROLLBACK TO SAVEPOINT job"); }
  void run(const std::function<void(Tx&)>& fn, std::vector<std::function<void()>>& hooks) override {
    MysqlTx tx(*conn_);
    detail::HookedTx hooked(tx, hooks);
    fn(hooked);
  }

 private:
  MysqlOptions options_;
  std::unique_ptr<Connection> conn_;
};

class MysqlDatabase final : public detail::BatchingDatabase {
 public:
  explicit MysqlDatabase(MysqlOptions options)
      : BatchingDatabase({.name = "db-read " + options.database, .threads = options.reader_connections, .max_queued = 8192}),
        options_(std::move(options)),
        backend_(options_),
        pool_([this] { return std::make_unique<Connection>(options_); }, options_.reader_connections + 4) {
    Connection probe(options_);  // fail at start-up, with the reason, if the server is unreachable
    writer_ = std::make_unique<detail::GroupCommitWriter>(options_.database, backend_, options_.max_batch);
  }
  ~MysqlDatabase() override { shut_down(); }

  // A session lock (GET_LOCK) on a connection of its own: the server releases it when that
  // connection ends, with the process or with the server. Checked on each call, since a
  // reconnected session no longer holds it.
  // The answer is reused for a while (a relay asks after every commit): a holder whose server
  // went away may go on for that long beside the next holder, whose events then go out twice
  // (consumers drop duplicates by event id).
  bool hold_lease(const std::string& name) override {
    std::lock_guard lock(lease_mutex_);
    auto now = std::chrono::steady_clock::now();
    auto& known = leases_[name];
    if (now - known.checked < options_.lease_recheck) return known.held;
    std::string key = "parley_lease_" + options_.database + "_" + name;  // GET_LOCK: 64 characters at most
    if (key.size() > 64) key.resize(64);
    known = {false, now};
    try {
      if (!lease_conn_) lease_conn_ = std::make_unique<Connection>(options_);
      auto held = lease_conn_->run("SELECT IS_USED_LOCK(?) = CONNECTION_ID()", {key}, nullptr);
      if (!held.empty() && !held[0].is_null(0) && held[0].integer(0) == 1) return known.held = true;
      auto got = lease_conn_->run("SELECT GET_LOCK(?, 0)", {key}, nullptr);
      return known.held = !got.empty() && !got[0].is_null(0) && got[0].integer(0) == 1;
    } catch (const std::exception&) {
      lease_conn_.reset();  // a new connection (and session) next time
      return false;
    }
  }

  // Database
  Dialect dialect() const override { return Dialect::mysql; }

  void read_sync(std::function<void(Tx&)> fn) override {
    pool_.transact("START TRANSACTION READ ONLY", [&](Connection& conn) {
      MysqlTx tx(conn);
      fn(tx);
    });
  }

  void read_statement_sync(std::function<void(Tx&)>& fn) override {
    pool_.autocommit([&](Connection& conn) {
      MysqlTx tx(conn);
      fn(tx);
    });
  }

  void migrate(const std::vector<Migration>& migrations) override {
    // DDL commits implicitly in MySQL, so a migration is not atomic; an advisory lock keeps
    // replicas starting together from applying one twice. A migration may rebuild a large table,
    // and another replica may wait for it: this connection waits as long as that takes (with the
    // usual statement timeout it gave up while the server went on, so a finished migration was
    // never recorded and the next start failed on it; and a lock not granted was not noticed).
    MysqlOptions patient = options_;
    patient.io_timeout = std::chrono::hours(24);
    Connection conn(patient);
    std::string lock = "parley_migrate_" + options_.database;
    for (int minutes = 0;; ++minutes) {
      auto got = conn.run("SELECT GET_LOCK(?, 60)", {lock}, nullptr);
      if (!got.empty() && !got[0].is_null(0) && got[0].integer(0) == 1) break;
      if (minutes >= 60)
        throw StorageError("mysql: another process has held the migration lock of " + options_.database + " for an hour");
      log::info("waiting for another process to finish migrating", {{"database", options_.database}});
    }
    try {
      conn.step("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at VARCHAR(32) NOT NULL)");
      for (const Migration& m : migrations) {
        if (!conn.run("SELECT 1 FROM schema_migrations WHERE version = ?", {std::int64_t{m.version}}, nullptr).empty())
          continue;
        conn.script(m.mysql);
        conn.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, UTC_TIMESTAMP())",
                 {std::int64_t{m.version}}, nullptr);
        log::info("migration applied", {{"database", options_.database}, {"version", m.version}});
      }
    } catch (...) {
      try {
        conn.run("SELECT RELEASE_LOCK(?)", {lock}, nullptr);
      } catch (const std::exception&) {  // the connection is gone, and the lock with it
      }
      throw;
    }
    conn.run("SELECT RELEASE_LOCK(?)", {lock}, nullptr);
  }

 private:
  MysqlOptions options_;
  MysqlWriter backend_;
  detail::ReaderPool<Connection> pool_;
  std::mutex lease_mutex_;
  std::unique_ptr<Connection> lease_conn_;
  struct Lease {
    bool held = false;
    std::chrono::steady_clock::time_point checked{};
  };
  std::unordered_map<std::string, Lease> leases_;  // the last answer for each name
};

}  // namespace

std::unique_ptr<Database> open_mysql(MysqlOptions options) {
  check_database_name(options.database);
  return std::make_unique<MysqlDatabase>(std::move(options));
}

}  // namespace parley::storage
