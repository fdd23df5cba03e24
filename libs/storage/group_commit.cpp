#include "group_commit.hpp"

#include <future>

#include "parley/core/error.hpp"
#include "parley/core/log.hpp"
#include "parley/core/thread_name.hpp"

namespace parley::storage::detail {

GroupCommitWriter::GroupCommitWriter(std::string name, WriterBackend& backend, std::size_t max_batch,
                                     std::size_t max_queued)
    : name_(std::move(name)), backend_(backend), max_batch_(max_batch), max_queued_(max_queued) {
  if (backend_.defers_sync())
    syncer_ = std::thread([this] {
      name_this_thread("sync " + name_);
      sync_loop();
    });
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
  thread_.join();  // every queued write committed
  if (syncer_.joinable()) {
    {
      std::lock_guard lock(sync_mutex_);
      sync_stopping_ = true;
    }
    sync_cv_.notify_all();
    syncer_.join();  // and synced, and acknowledged
  }
}

async::Task<void> GroupCommitWriter::write(std::function<void(Tx&)> fn) {
  co_await async::suspend([&](async::Resume resume) { enqueue(Job{std::move(fn), std::move(resume)}, true); });
}

void GroupCommitWriter::write_sync(std::function<void(Tx&)> fn) {
  std::promise<void> promise;
  auto future = promise.get_future();
  enqueue(Job{std::move(fn),
              [&promise](std::exception_ptr e) {
                if (e) promise.set_exception(e);
                else promise.set_value();
              }},
          false);
  future.get();
}

std::size_t GroupCommitWriter::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void GroupCommitWriter::enqueue(Job job, bool bounded) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      job.done(std::make_exception_ptr(StorageError("database is closing")));
      return;
    }
    if (bounded && queue_.size() >= max_queued_) {
      job.done(std::make_exception_ptr(Error::unavailable("too many writes waiting for the database " + name_)));
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

// One transaction for the whole batch. Nothing is acknowledged before the commit returns.
// A job that throws must undo only itself. Savepoints around every job would cost two statements
// each (two round trips on a server) for what is rare, so a batch first runs without them; if a
// job throws, the whole transaction is undone and the batch runs again with each job in a
// savepoint of its own (jobs may run more than once). A deadlock with another writer undoes the
// whole transaction on the server: the batch runs again, a few times at most.
void GroupCommitWriter::commit_batch(std::vector<Job>& batch) {
  constexpr int kAttempts = 5;
  bool isolate = false;
  for (int attempt = 1;;) {
    try {
      try_batch(batch, isolate);
      return;
    } catch (const IsolateJobs&) {
      isolate = true;  // not an attempt lost: the batch runs again at once, in savepoints
    } catch (const TransactionAborted& e) {
      if (attempt == kAttempts) {
        for (auto& job : batch) job.done(std::current_exception());
        return;
      }
      if (attempt == 2 && batch.size() > 1) {
        // Twice undone: what the whole batch locks keeps meeting another writer. Each write on
        // its own (and its share of the batch's shared work with it) locks less, and one that
        // still fails fails alone.
        log::warn("write batch aborted twice; running its writes one by one",
                  {{"database", name_}, {"jobs", batch.size()}, {"error", e.what()}});
        for (auto& job : batch) {
          std::vector<Job> one;
          one.push_back(std::move(job));
          commit_batch(one);
        }
        batch.clear();
        return;
      }
      ++attempt;
      log::warn("write batch aborted by a deadlock; running it again",
                {{"database", name_}, {"jobs", batch.size()}, {"attempt", attempt}, {"error", e.what()}});
    }
  }
}

void GroupCommitWriter::try_batch(std::vector<Job>& batch, bool isolate) {
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
  SharedWorks works;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::vector<std::function<void()>> hooks;
    try {
      if (isolate) backend_.savepoint();
      backend_.run(
          [&](Tx& tx) {
            BatchTx shared(tx, works);
            batch[i].fn(shared);
          },
          hooks);
      if (isolate) backend_.release_savepoint();
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
      if (!isolate) {
        backend_.rollback();  // the jobs before it ran in the same transaction
        if (batch.size() > 1) throw IsolateJobs{};
        batch[0].done(std::current_exception());  // alone: nothing else to keep
        return;
      }
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
  // The writes' shared work, once for all of them; then the commit. A deadlock runs the batch
  // again; any other failure fails every write of the batch.
  try {
    for (auto& [key, work] : works.all()) {
      std::vector<std::function<void()>> hooks;
      backend_.run([&](Tx& tx) { work->run(tx); }, hooks);
      for (auto& h : hooks) after.push_back(std::move(h));
    }
    backend_.commit();
  } catch (const TransactionAborted&) {
    backend_.rollback();
    throw;
  } catch (...) {
    backend_.rollback();
    fail_all(std::current_exception());
    return;
  }
  Settled settled{std::move(after), std::move(batch), std::move(errors)};
  batch.clear();
  if (!backend_.defers_sync()) {
    settle(settled);
    return;
  }
  {
    std::lock_guard lock(sync_mutex_);
    unsynced_.push_back(std::move(settled));
  }
  sync_cv_.notify_one();
}

void GroupCommitWriter::settle(Settled& s) {
  for (auto& f : s.hooks) {
    try {
      f();
    } catch (const std::exception& ex) {
      log::error("after-commit hook failed", {{"database", name_}, {"error", ex.what()}});
    }
  }
  for (std::size_t i = 0; i < s.jobs.size(); ++i) s.jobs[i].done(s.errors[i]);
}

// One sync covers every batch committed before it began, so while it runs the writer commits the
// next batches, and they share the following sync.
void GroupCommitWriter::sync_loop() {
  std::vector<Settled> ready;
  for (;;) {
    {
      std::unique_lock lock(sync_mutex_);
      sync_cv_.wait(lock, [&] { return sync_stopping_ || !unsynced_.empty(); });
      if (unsynced_.empty() && sync_stopping_) return;
      ready.swap(unsynced_);
    }
    try {
      backend_.sync();
    } catch (const std::exception& ex) {
      // Committed batches may not be on disk, and later ones must not be acknowledged past a
      // hole in the log: stop the process, and recovery on restart decides what survived.
      log::error("database sync failed; stopping", {{"database", name_}, {"error", ex.what()}});
      std::abort();
    }
    for (auto& s : ready) settle(s);
    ready.clear();
  }
}

}  // namespace parley::storage::detail
