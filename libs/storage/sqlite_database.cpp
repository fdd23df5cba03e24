#include "parley/storage/sqlite_database.hpp"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "group_commit.hpp"
#include "parley/async/worker_pool.hpp"
#include "parley/core/log.hpp"
#include "parley/core/thread_name.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace parley::storage {

namespace {

// Process-wide settings that must precede SQLite's initialisation. Memory statistics take a global
// mutex on every allocation; nothing here reads them.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

// Statement cache keyed by SQL text, looked up without copying the text.
struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// A checkpoint that could not run now (another checkpoint, a reader, the writer): not a failure.
bool checkpoint_busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

class Connection {
 public:
  Connection(const SqliteOptions& options) {
    configure_sqlite_once();
    int rc = sqlite3_open_v2(options.path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StorageError("cannot open " + options.path + ": " + message);
    }
    sqlite3_busy_timeout(db_, options.busy_timeout_ms);
    // 64 MiB page cache per connection; temporary tables in memory.
    script("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
    script(options.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=OFF;");
  }
  ~Connection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void script(std::string_view sql) {
    std::string text(sql);
    char* error = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      fail(message);
    }
  }

  sqlite3_stmt* prepare(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;  // reset after its last run; bind() sets every parameter
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK)
      fail(sqlite3_errmsg(db_));
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, const std::vector<Value>& params) {
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt))
      throw StorageError("wrong number of SQL parameters");
    for (std::size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i + 1);
      const Value& v = params[i];
      int rc;
      if (std::holds_alternative<std::nullptr_t>(v)) rc = sqlite3_bind_null(stmt, index);
      else if (auto n = std::get_if<std::int64_t>(&v)) rc = sqlite3_bind_int64(stmt, index, *n);
      else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text64(stmt, index, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) fail(sqlite3_errmsg(db_));
    }
  }

  Rows run(std::string_view sql, const std::vector<Value>& params, std::int64_t* changes) {
    sqlite3_stmt* stmt = prepare(sql);
    bind(stmt, params);
    Rows rows;
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        std::string message = sqlite3_errmsg(db_);
        int code = sqlite3_extended_errcode(db_);
        sqlite3_reset(stmt);
        if ((code & 0xFF) == SQLITE_CONSTRAINT) throw ConstraintViolation(message);
        fail(message);
      }
      int n = sqlite3_column_count(stmt);
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL: values.emplace_back(nullptr); break;
          case SQLITE_INTEGER: values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c))); break;
          default: {
            const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            values.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
          }
        }
      }
      rows.emplace_back(std::move(values));
    }
    if (changes) *changes = sqlite3_changes64(db_);
    sqlite3_reset(stmt);
    return rows;
  }

  sqlite3* handle() { return db_; }

  // A statement without parameters or results, prepared once (BEGIN, SAVEPOINT, COMMIT...).
  void step(std::string_view sql) { run(sql, {}, nullptr); }

  [[noreturn]] void fail(const std::string& message) {
    int code = sqlite3_extended_errcode(db_);
    if ((code & 0xFF) == SQLITE_CONSTRAINT) throw ConstraintViolation(message);
    throw StorageError("sqlite: " + message);
  }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> statements_;
};

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Connection& c) : conn_(c) {}

  // Tx
  std::int64_t exec(std::string_view sql, const std::vector<Value>& params) override {
    std::int64_t changes = 0;
    conn_.run(sql, params, &changes);
    return changes;
  }
  Rows query(std::string_view sql, const std::vector<Value>& params) override {
    return conn_.run(sql, params, nullptr);
  }
  void exec_script(std::string_view sql) override { conn_.script(sql); }
  Dialect dialect() const override { return Dialect::sqlite; }
  void after_commit(std::function<void()>) override {}  // reads commit nothing

 private:
  Connection& conn_;
};

// The writer connection, driven by the group-commit writer thread.
class SqliteWriter final : public detail::WriterBackend {
 public:
  // With full durability the writer's COMMIT only writes the WAL (synchronous=NORMAL) and sync()
  // fdatasyncs it from the group-commit writer's sync thread: a batch is acknowledged only once
  // it is on disk, as with synchronous=FULL, but the next batch runs during the sync.
  explicit SqliteWriter(const SqliteOptions& options) : conn(options), wal_path_(options.path + "-wal") {
    deferred_sync_ = options.synchronous_full;
    if (deferred_sync_) conn.script("PRAGMA synchronous=NORMAL;");
  }
  ~SqliteWriter() override {
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }

  // detail::WriterBackend
  void begin() override { conn.step("BEGIN IMMEDIATE"); }
  void commit() override { conn.step("COMMIT"); }
  void rollback() noexcept override {
    try {
      conn.step("ROLLBACK");
    } catch (...) {
    }
  }
  void savepoint() override { conn.step("SAVEPOINT job"); }
  void release_savepoint() override { conn.step("RELEASE job"); }
  void rollback_to_savepoint() override { conn.step("ROLLBACK TO job"); }
  void run(const std::function<void(Tx&)>& fn, std::vector<std::function<void()>>& hooks) override {
    SqliteTx tx(conn);
    detail::HookedTx hooked(tx, hooks);
    fn(hooked);
  }

  bool defers_sync() const override { return deferred_sync_; }
  void sync() override {
    // Reopen if the WAL file was replaced (it is created again after the last connection closed).
    struct stat path_stat {}, fd_stat {};
    if (::stat(wal_path_.c_str(), &path_stat) != 0)
      throw StorageError("cannot stat " + wal_path_ + ": " + std::strerror(errno));
    if (wal_fd_ < 0 || ::fstat(wal_fd_, &fd_stat) != 0 || fd_stat.st_ino != path_stat.st_ino ||
        fd_stat.st_dev != path_stat.st_dev) {
      if (wal_fd_ >= 0) ::close(wal_fd_);
      wal_fd_ = ::open(wal_path_.c_str(), O_RDWR | O_CLOEXEC);
      if (wal_fd_ < 0) throw StorageError("cannot open " + wal_path_ + ": " + std::strerror(errno));
    }
    if (::fdatasync(wal_fd_) != 0) throw StorageError("fdatasync " + wal_path_ + ": " + std::strerror(errno));
  }

  Connection conn;

 private:
  std::string wal_path_;
  bool deferred_sync_ = false;
  int wal_fd_ = -1;  // used by the sync thread only
};

std::string stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

class SqliteDatabase final : public detail::BatchingDatabase {
 public:
  explicit SqliteDatabase(SqliteOptions options)
      : BatchingDatabase({.name = "db-read " + stem(options.path), .threads = options.reader_threads, .max_queued = 8192}),
        options_(std::move(options)),
        backend_(options_),
        pool_([this] { return std::make_unique<Connection>(options_); }, options_.reader_threads + 4) {
    // Checkpoints run on their own thread and connection, not inside the writer's commits.
    backend_.conn.script("PRAGMA wal_autocheckpoint=0;");
    sqlite3_wal_hook(backend_.conn.handle(), &SqliteDatabase::on_wal_commit, this);
    checkpointer_ = std::thread([this] {
      name_this_thread("ckpt " + stem(options_.path));
      // Copying the WAL back can wait for idle CPU; the writer and the I/O threads cannot.
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
      checkpoint_loop();
    });
    writer_ = std::make_unique<detail::GroupCommitWriter>(stem(options_.path), backend_, options_.max_batch);
  }

  ~SqliteDatabase() override {
    shut_down();  // drains queued writes
    {
      std::lock_guard lock(checkpoint_mutex_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpointer_.join();
  }

  // Database
  Dialect dialect() const override { return Dialect::sqlite; }

  void read_sync(std::function<void(Tx&)> fn) override {
    pool_.transact("BEGIN", [&](Connection& conn) {
      SqliteTx tx(conn);
      fn(tx);
    });
  }

  void migrate(const std::vector<Migration>& migrations) override {
    write_sync([](Tx& tx) {
      tx.exec_script("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    });
    for (const Migration& m : migrations) {
      write_sync([&](Tx& tx) {
        if (!tx.query("SELECT 1 FROM schema_migrations WHERE version = ?", {std::int64_t{m.version}}).empty()) return;
        tx.exec_script(m.sqlite);
        tx.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, datetime('now'))",
                {std::int64_t{m.version}});
        log::info("migration applied", {{"database", options_.path}, {"version", m.version}});
      });
    }
  }

 private:
  // Called by SQLite after each commit on the writer connection with the WAL's size in frames.
  // Called by SQLite on the writer thread after each commit with the WAL's size in frames.
  // While writes keep coming, the writer's next transaction always starts before the background
  // checkpoint has caught up, so SQLite never restarts the WAL from its beginning and the file
  // would grow without end. So: every checkpoint_every_frames new frames the background thread
  // copies the WAL back (PASSIVE: blocks nobody); at wal_restart_frames the writer itself,
  // between two transactions, copies the little that is left and makes the next transaction
  // start the WAL over (RESTART). Frequent background checkpoints keep that pause short (a few
  // ms), and a large restart size makes it rare (about every 5 s at 5,000 msg/s).
  static int on_wal_commit(void* self, sqlite3* handle, const char*, int frames) {
    auto* db = static_cast<SqliteDatabase*>(self);
    if (frames < db->checkpoint_signalled_at_) db->checkpoint_signalled_at_ = 0;  // the WAL started over
    if (frames < db->options_.wal_restart_frames) db->wal_growth_warned_ = false;
    if (frames >= db->options_.wal_restart_frames) {
      // Without waiting: RESTART would otherwise call the busy handler until every reader has
      // left the old WAL, and the writer (every write of the process) would stand still for as
      // long as the longest read, up to busy_timeout_ms, after every commit. Busy is expected now
      // and then (the background checkpoint holds the checkpoint lock, or a reader still reads
      // the old WAL): what can be copied back is, and the next commit tries again. Only a WAL
      // that goes on growing means trouble (a read that never ends): said once until it restarts.
      sqlite3_busy_timeout(handle, 0);
      int rc = sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
      sqlite3_busy_timeout(handle, db->options_.busy_timeout_ms);
      if (rc != SQLITE_OK && !checkpoint_busy(rc))
        log::warn("sqlite checkpoint (restart) failed; retried after the next commit",
                  {{"database", db->options_.path}, {"error", sqlite3_errmsg(handle)}});
      else if (rc != SQLITE_OK && frames >= 4 * db->options_.wal_restart_frames && !db->wal_growth_warned_) {
        db->wal_growth_warned_ = true;
        log::warn("sqlite WAL keeps growing: a reader or checkpoint keeps it from starting over",
                  {{"database", db->options_.path}, {"wal_frames", frames}});
      }
      db->checkpoint_signalled_at_ = 0;
    } else if (frames >= db->checkpoint_signalled_at_ + db->options_.checkpoint_every_frames) {
      db->checkpoint_signalled_at_ = frames;
      {
        std::lock_guard lock(db->checkpoint_mutex_);
        db->checkpoint_wanted_ = true;
      }
      db->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  // PASSIVE checkpoints never block the writer or readers; the WAL is copied back into the
  // database as far as readers allow.
  void checkpoint_loop() {
    Connection conn(options_);
    for (;;) {
      {
        std::unique_lock lock(checkpoint_mutex_);
        checkpoint_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return checkpoint_wanted_ || stopping_; });
        if (stopping_) break;
        checkpoint_wanted_ = false;
      }
      // Busy: the writer is starting the WAL over, which checkpoints too.
      int rc = sqlite3_wal_checkpoint_v2(conn.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (rc != SQLITE_OK && !checkpoint_busy(rc))
        log::warn("sqlite checkpoint failed", {{"database", options_.path}, {"error", sqlite3_errmsg(conn.handle())}});
    }
  }

  SqliteOptions options_;
  SqliteWriter backend_;
  detail::ReaderPool<Connection> pool_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  int checkpoint_signalled_at_ = 0;  // WAL frames at the last signal (writer thread only)
  bool wal_growth_warned_ = false;   // writer thread only
  bool stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace

std::unique_ptr<Database> open_sqlite(SqliteOptions options) {
  return std::make_unique<SqliteDatabase>(std::move(options));
}

}  // namespace parley::storage
