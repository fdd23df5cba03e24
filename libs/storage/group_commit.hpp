#pragma once
// Internal to parley_storage: the writer thread that commits queued writes together (group
// commit), each inside its own savepoint, for any SQL backend.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

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

 private:
  Tx& inner_;
  std::vector<std::function<void()>>& hooks_;
};

class GroupCommitWriter {
 public:
  // name: for the thread and logs. backend is used only from the writer thread.
  GroupCommitWriter(std::string name, WriterBackend& backend, std::size_t max_batch);
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
  void enqueue(Job job);
  void loop();
  void commit_batch(std::vector<Job>& batch);

  std::string name_;
  WriterBackend& backend_;
  std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::storage::detail
