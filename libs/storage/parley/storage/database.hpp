#pragma once
// The storage interface the services use. SQL is parameterized always; values are bound, never
// spliced. Implementations: SQLite (all-in-one) and, later, MySQL/MariaDB (distributed).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "parley/async/await.hpp"
#include "parley/core/error.hpp"

namespace parley::storage {

using Value = std::variant<std::nullptr_t, std::int64_t, std::string>;

enum class Dialect { sqlite, mysql };

// A unique or foreign-key constraint refused the statement.
class ConstraintViolation : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database failed a statement; a client gets 503 unavailable (see DependencyFailure).
class StorageError : public DependencyFailure {
 public:
  using DependencyFailure::DependencyFailure;
};

// The connection to the database server was lost mid-transaction: the whole transaction is gone.
class ConnectionLost : public StorageError {
 public:
  using StorageError::StorageError;
};

// The server undid the whole transaction to break a deadlock with another writer (another
// replica): running the transaction again may succeed.
class TransactionAborted : public StorageError {
 public:
  using StorageError::StorageError;
};

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  bool is_null(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(values_.at(i)); }
  std::int64_t integer(std::size_t i) const;
  const std::string& text(std::size_t i) const;
  std::optional<std::string> optional_text(std::size_t i) const;
  std::optional<std::int64_t> optional_integer(std::size_t i) const;
  std::size_t size() const { return values_.size(); }

 private:
  std::vector<Value> values_;
};
using Rows = std::vector<Row>;

class Tx;

// Work that the writes of one group-commit batch share: made by the first write of the batch that
// asks for it (Tx::shared), run once after every write of the batch ran, just before the commit,
// in the same transaction. It lets many writes become a few statements over many rows. run()
// should throw only when the database fails: that fails every write of the batch. A write that
// registered with shared work must not throw afterwards (its registration would stay).
class BatchWork {
 public:
  virtual ~BatchWork() = default;
  virtual void run(Tx& tx) = 0;
};

// One transaction. Valid only inside the callback that received it.
class Tx {
 public:
  virtual ~Tx() = default;
  // Returns the number of rows changed.
  virtual std::int64_t exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  virtual Rows query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Several statements, no parameters (migrations).
  virtual void exec_script(std::string_view sql) = 0;
  virtual Dialect dialect() const = 0;
  // Runs fn after the transaction commits; never if it rolls back. Used to wake outbox relays.
  virtual void after_commit(std::function<void()> fn) = 0;
  // MySQL only: the value the last statement gave LAST_INSERT_ID(expr) (or the AUTO_INCREMENT id
  // it generated), read from the server's answer, without another round trip.
  virtual std::int64_t last_insert_id() { return 0; }
  // In a write (Database::write): the batch's shared work named key, made by make() for the first
  // write of the batch that asks. Elsewhere it throws std::logic_error.
  virtual BatchWork& shared_work(std::string_view key, const std::function<std::unique_ptr<BatchWork>()>& make);
  template <class W>
  W& shared(std::string_view key, const std::function<std::unique_ptr<W>()>& make) {
    return static_cast<W&>(shared_work(key, [&]() -> std::unique_ptr<BatchWork> { return make(); }));
  }

  // Marks a service may set on what one run of its function did in this Tx (the messages store
  // records the locks it took, to check their order): zero when the run begins, for every run of
  // a write function. The storage layer never reads them.
  std::uint32_t& run_marks() { return run_marks_; }

 private:
  std::uint32_t run_marks_ = 0;
};

struct Migration {
  int version;          // applied in ascending order, once
  std::string sqlite;   // statements for SQLite
  std::string mysql;    // statements for MySQL/MariaDB
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;

  // Runs fn in a write transaction and resumes when it is durable. Writes that arrive together are
  // committed together (group commit); if fn throws, only its own changes are undone and the
  // exception reaches the caller. fn may run more than once (the transaction is run again after a
  // deadlock, or another write of its batch failed): a function with results returns them
  // (write_returning) rather than setting variables it captured.
  virtual async::Task<void> write(std::function<void(Tx&)> fn) = 0;
  // write() for a function that returns what it made: the value of its last run, the one that
  // committed. Nothing an earlier run made is left behind, as it can be in captured variables.
  template <class F, class T = std::invoke_result_t<F&, Tx&>>
  async::Task<T> write_returning(F fn);
  // Runs fn in a read transaction on a reader thread.
  virtual async::Task<void> read(std::function<void(Tx&)> fn) = 0;
  // Runs fn, which runs exactly one statement, on a reader thread without a transaction around
  // it: a single statement reads a consistent snapshot by itself, and on a database server this
  // saves the round trips of beginning and committing. By default the same as read().
  virtual async::Task<void> read_statement(std::function<void(Tx&)> fn) { return read(std::move(fn)); }
  // The same, blocking the calling thread. REQUIRES: not an I/O thread.
  virtual void write_sync(std::function<void(Tx&)> fn) = 0;
  virtual void read_sync(std::function<void(Tx&)> fn) = 0;
  // write_returning(), blocking the calling thread. REQUIRES: not an I/O thread.
  template <class F, class T = std::invoke_result_t<F&, Tx&>>
  T write_sync_returning(F fn);

  // Writes waiting for the writer (for metrics).
  virtual std::size_t queued_writes() const = 0;

  // Applies the migrations not applied yet, each in its own transaction.
  virtual void migrate(const std::vector<Migration>& migrations) = 0;

  // Whether this process holds the named lease among every process using this database, taking
  // it when it is free: for work that one replica should do at a time (relaying an outbox). It
  // lasts while the process lives and can reach the database; another process takes it over
  // after that. A database only one process uses always holds it. Never throws.
  virtual bool hold_lease(const std::string& name) {
    (void)name;
    return true;
  }
};

template <class F, class T>
async::Task<T> Database::write_returning(F fn) {
  std::optional<T> result;
  co_await write([&](Tx& tx) {
    result.reset();
    result.emplace(fn(tx));
  });
  co_return std::move(*result);
}

template <class F, class T>
T Database::write_sync_returning(F fn) {
  std::optional<T> result;
  write_sync([&](Tx& tx) {
    result.reset();
    result.emplace(fn(tx));
  });
  return std::move(*result);
}

}  // namespace parley::storage
