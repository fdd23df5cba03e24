#include "group_commit.hpp"

#include <future>

#include "parley/core/log.hpp"
#include "parley/core/thread_name.hpp"

namespace parley::storage::detail {

GroupCommitWriter::GroupCommitWriter(std::string name, WriterBackend& backend, std::size_t max_batch)
    : name_(std::move(name)), backend_(backend), max_batch_(max_batch) {
  thread_ = std::thread([this] {
    name_this_thread("db " + name_);
    loop();
  });
}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

async::Task<void> GroupCommitWriter::write(std::function<void(Tx&)> fn) {
  co_await async::suspend([&](async::Resume resume) { enqueue(Job{std::move(fn), std::move(resume)}); });
}

void GroupCommitWriter::write_sync(std::function<void(Tx&)> fn) {
  std::promise<void> promise;
  auto future = promise.get_future();
  enqueue(Job{std::move(fn), [&promise](std::exception_ptr e) {
                if (e) promise.set_exception(e);
                else promise.set_value();
              }});
  future.get();
}

std::size_t GroupCommitWriter::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void GroupCommitWriter::enqueue(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      job.done(std::make_exception_ptr(StorageError("database is closing")));
      return;
    }
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void GroupCommitWriter::loop() {
  std::vector<Job> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    batch.clear();
  }
}

// One transaction for the whole batch; each job inside its own savepoint, so a job that throws
// undoes only itself. Nothing is acknowledged before the commit returns. A deadlock with another
// writer undoes the whole transaction on the server: the batch runs again, a few times at most.
void GroupCommitWriter::commit_batch(std::vector<Job>& batch) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    try {
      try_batch(batch);
      return;
    } catch (const TransactionAborted& e) {
      if (attempt == kAttempts) {
        for (auto& job : batch) job.done(std::current_exception());
        return;
      }
      log::warn("write batch aborted by a deadlock; running it again",
                {{"database", name_}, {"jobs", batch.size()}, {"attempt", attempt}, {"error", e.what()}});
    }
  }
}

void GroupCommitWriter::try_batch(std::vector<Job>& batch) {
  std::vector<std::exception_ptr> errors(batch.size());
  std::vector<std::function<void()>> after;
  auto fail_all = [&](std::exception_ptr e) {
    for (auto& job : batch) job.done(e);
  };
  try {
    backend_.begin();
  } catch (...) {
    fail_all(std::current_exception());
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::vector<std::function<void()>> hooks;
    try {
      backend_.savepoint();
      backend_.run(batch[i].fn, hooks);
      backend_.release_savepoint();
      for (auto& h : hooks) after.push_back(std::move(h));
    } catch (const TransactionAborted&) {
      backend_.rollback();
      throw;
    } catch (const ConnectionLost&) {
      // The connection itself failed: the transaction is lost for every job.
      backend_.rollback();
      fail_all(std::current_exception());
      return;
    } catch (...) {
      errors[i] = std::current_exception();
      try {
        backend_.rollback_to_savepoint();
        backend_.release_savepoint();
      } catch (...) {
        backend_.rollback();
        fail_all(std::make_exception_ptr(StorageError("could not undo a failed write")));
        return;
      }
    }
  }
  try {
    backend_.commit();
  } catch (const TransactionAborted&) {
    backend_.rollback();
    throw;
  } catch (...) {
    backend_.rollback();
    fail_all(std::current_exception());
    return;
  }
  for (auto& f : after) {
    try {
      f();
    } catch (const std::exception& ex) {
      log::error("after-commit hook failed", {{"database", name_}, {"error", ex.what()}});
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(errors[i]);
}

}  // namespace parley::storage::detail
