#pragma once
// Internal to parley_storage: the writer thread that commits queued writes together (group
// commit) for any SQL backend: a batch runs in one transaction, with savepoints only when a write
// in it fails, and with the work its writes share (Tx::shared) run once before the commit.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "parley/async/worker_pool.hpp"
#include "parley/storage/database.hpp"

namespace parley::storage::detail {

// What the writer needs from a backend's writer connection.
class WriterBackend {
 public:
  virtual ~WriterBackend() = default;
  virtual void begin() = 0;  // may reconnect first; throws StorageError if it cannot
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  virtual void savepoint() = 0;
  virtual void release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;
  // Runs fn with a Tx on the writer connection (after_commit is handled by the writer).
  virtual void run(const std::function<void(Tx&)>& fn, std::vector<std::function<void()>>& after_commit) = 0;
  // A backend whose commit() only makes a batch visible returns true and makes it durable in
  // sync(), which runs on another thread while the writer goes on with the next batch. Nothing is
  // acknowledged (and no after-commit hook runs) before the sync that covers its batch returns.
  virtual bool defers_sync() const { return false; }
  virtual void sync() {}
};

// A Tx that forwards SQL to another and keeps after_commit hooks for the writer.
class HookedTx final : public Tx {
 public:
  HookedTx(Tx& inner, std::vector<std::function<void()>>& hooks) : inner_(inner), hooks_(hooks) {}
  // Tx
  std::int64_t exec(std::string_view sql, const std::vector<Value>& params) override { return inner_.exec(sql, params); }
  Rows query(std::string_view sql, const std::vector<Value>& params) override { return inner_.query(sql, params); }
  void exec_script(std::string_view sql) override { inner_.exec_script(sql); }
  Dialect dialect() const override { return inner_.dialect(); }
  void after_commit(std::function<void()> fn) override { hooks_.push_back(std::move(fn)); }
  std::int64_t last_insert_id() override { return inner_.last_insert_id(); }

 private:
  Tx& inner_;
  std::vector<std::function<void()>>& hooks_;
};

// The shared work of one try of a batch, in the order it was first asked for.
class SharedWorks {
 public:
  BatchWork& get(std::string_view key, const std::function<std::unique_ptr<BatchWork>()>& make) {
    for (auto& [k, w] : works_)
      if (k == key) return *w;
    works_.emplace_back(std::string(key), make());
    return *works_.back().second;
  }
  std::vector<std::pair<std::string, std::unique_ptr<BatchWork>>>& all() { return works_; }

 private:
  std::vector<std::pair<std::string, std::unique_ptr<BatchWork>>> works_;
};

// What a write's callback gets: the writer's Tx, plus the batch's shared work.
class BatchTx final : public Tx {
 public:
  BatchTx(Tx& inner, SharedWorks& works) : inner_(inner), works_(works) {}
  // Tx
  std::int64_t exec(std::string_view sql, const std::vector<Value>& params) override { return inner_.exec(sql, params); }
  Rows query(std::string_view sql, const std::vector<Value>& params) override { return inner_.query(sql, params); }
  void exec_script(std::string_view sql) override { inner_.exec_script(sql); }
  Dialect dialect() const override { return inner_.dialect(); }
  void after_commit(std::function<void()> fn) override { inner_.after_commit(std::move(fn)); }
  std::int64_t last_insert_id() override { return inner_.last_insert_id(); }
  BatchWork& shared_work(std::string_view key, const std::function<std::unique_ptr<BatchWork>()>& make) override {
    return works_.get(key, make);
  }

 private:
  Tx& inner_;
  SharedWorks& works_;
};

class GroupCommitWriter {
 public:
  // name: for the thread and logs. backend is used only from the writer thread. max_queued bounds
  // the writes of write() (requests) waiting for the writer: past it they fail at once with
  // Error::unavailable (503) instead of waiting behind minutes of others (a database that stopped
  // answering would otherwise collect every retry in memory and commit them all, long after their
  // clients were told it failed). write_sync() (the process's own threads, few) is not bounded.
  GroupCommitWriter(std::string name, WriterBackend& backend, std::size_t max_batch, std::size_t max_queued = 8192);
  ~GroupCommitWriter();  // drains the queue, then joins
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  async::Task<void> write(std::function<void(Tx&)> fn);
  void write_sync(std::function<void(Tx&)> fn);
  std::size_t queued() const;

 private:
  struct Job {
    std::function<void(Tx&)> fn;
    std::function<void(std::exception_ptr)> done;
  };
  // A committed batch waiting for its sync: hooks, then each job's outcome.
  struct Settled {
    std::vector<std::function<void()>> hooks;
    std::vector<Job> jobs;
    std::vector<std::exception_ptr> errors;
  };
  void enqueue(Job job, bool bounded);
  void loop();
  void commit_batch(std::vector<Job>& batch);
  // Thrown by try_batch, with the transaction rolled back, when a job failed in a batch run
  // without savepoints: run it again with them.
  struct IsolateJobs {};
  void settle(Settled& s);
  void sync_loop();
  // One try of commit_batch; throws TransactionAborted (with the transaction rolled back) for
  // the caller to try again, else completes every job.
  void try_batch(std::vector<Job>& batch, bool isolate);

  std::string name_;
  WriterBackend& backend_;
  std::size_t max_batch_;
  std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
  // The sync stage (only when the backend defers its sync).
  std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  std::vector<Settled> unsynced_;
  bool sync_stopping_ = false;
  std::thread syncer_;
};

// What every batching implementation shares: writes go through the group-commit writer, reads
// run on a pool of reader threads. Subclasses create writer_ and define read_sync.
class BatchingDatabase : public Database {
 public:
  explicit BatchingDatabase(async::WorkerPool::Options readers) : readers_(std::move(readers)) {}

  // Database
  async::Task<void> write(std::function<void(Tx&)> fn) override { return writer_->write(std::move(fn)); }
  void write_sync(std::function<void(Tx&)> fn) override { writer_->write_sync(std::move(fn)); }
  std::size_t queued_writes() const override { return writer_->queued(); }
  async::Task<void> read(std::function<void(Tx&)> fn) override {
    co_await readers_.run([this, &fn] { read_sync(fn); });
  }
  async::Task<void> read_statement(std::function<void(Tx&)> fn) override {
    co_await readers_.run([this, &fn] { read_statement_sync(fn); });
  }

 protected:
  // REQUIRES: subclasses call this first in their destructor (queued writes drain, readers stop).
  void shut_down() {
    writer_.reset();
    readers_.join();
  }
  // read_statement on a reader thread; subclasses whose transactions cost round trips override it.
  virtual void read_statement_sync(std::function<void(Tx&)>& fn) { read_sync(fn); }
  std::unique_ptr<GroupCommitWriter> writer_;
  async::WorkerPool readers_;
};

// Idle reader connections, reused; Conn has step(sql). A connection whose server went away
// (ConnectionLost) is dropped rather than returned; an idle one found dead when its transaction
// begins (the server restarted meanwhile) is replaced before anything ran on it.
template <class Conn>
class ReaderPool {
 public:
  ReaderPool(std::function<std::unique_ptr<Conn>()> make, std::size_t keep) : make_(std::move(make)), keep_(keep) {}

  // Runs fn(conn) inside begin ... COMMIT on a pooled connection; ROLLBACK on an exception.
  template <class F>
  void transact(std::string_view begin, F&& fn) {
    std::unique_ptr<Conn> conn = begun(begin);
    try {
      fn(*conn);
      conn->step("COMMIT");
    } catch (const ConnectionLost&) {
      throw;
    } catch (...) {
      try {
        conn->step("ROLLBACK");
      } catch (...) {
      }
      release(std::move(conn));
      throw;
    }
    release(std::move(conn));
  }

  // Runs fn(conn) on a pooled connection outside any transaction (each statement commits by
  // itself). REQUIRES: fn only reads. A pooled connection the server dropped meanwhile is
  // replaced and fn runs again on the new one.
  template <class F>
  void autocommit(F&& fn) {
    std::unique_ptr<Conn> conn;
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (conn) {
      try {
        fn(*conn);
        release(std::move(conn));
        return;
      } catch (const ConnectionLost&) {
        conn.reset();  // stale after a server restart: try once more on a new connection
      } catch (...) {
        release(std::move(conn));
        throw;
      }
    }
    conn = make_();
    try {
      fn(*conn);
    } catch (const ConnectionLost&) {
      throw;
    } catch (...) {
      release(std::move(conn));
      throw;
    }
    release(std::move(conn));
  }

 private:
  // A connection on which begin succeeded: idle ones first, dropping those that fail with
  // ConnectionLost, else a new one (whose ConnectionLost means the server is away).
  std::unique_ptr<Conn> begun(std::string_view begin) {
    for (;;) {
      std::unique_ptr<Conn> conn;
      {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
          conn = std::move(idle_.back());
          idle_.pop_back();
        }
      }
      bool pooled = conn != nullptr;
      if (!pooled) conn = make_();
      try {
        conn->step(begin);
        return conn;
      } catch (const ConnectionLost&) {
        if (!pooled) throw;  // dropped; a pooled one is replaced by the next
      } catch (...) {
        release(std::move(conn));
        throw;
      }
    }
  }
  void release(std::unique_ptr<Conn> c) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < keep_) idle_.push_back(std::move(c));
  }

  std::function<std::unique_ptr<Conn>()> make_;
  std::size_t keep_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Conn>> idle_;
};

}  // namespace parley::storage::detail
