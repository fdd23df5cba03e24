// The group-commit writer with a backend that defers its sync: nothing is acknowledged and no
// after-commit hook runs before the sync covering its batch returns, and the writer commits the
// next batches meanwhile.
#include "group_commit.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <future>

#include "parley/core/error.hpp"

namespace parley::storage::detail {
namespace {

using namespace std::chrono_literals;

class NullTx final : public Tx {
 public:
  std::int64_t exec(std::string_view, const std::vector<Value>&) override { return 0; }
  Rows query(std::string_view, const std::vector<Value>&) override { return {}; }
  void exec_script(std::string_view) override {}
  Dialect dialect() const override { return Dialect::sqlite; }
  void after_commit(std::function<void()>) override {}
};

// Records what happens; sync() waits until the test opens the gate.
class GatedBackend final : public WriterBackend {
 public:
  void begin() override {}
  void commit() override { commits++; }
  void rollback() noexcept override {}
  void savepoint() override {}
  void release_savepoint() override {}
  void rollback_to_savepoint() override {}
  void run(const std::function<void(Tx&)>& fn, std::vector<std::function<void()>>& hooks) override {
    NullTx tx;
    HookedTx hooked(tx, hooks);
    fn(hooked);
  }
  bool defers_sync() const override { return true; }
  void sync() override {
    syncs_started++;
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return open; });
    syncs_done++;
  }
  void open_gate() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
  }

  std::atomic<int> commits{0}, syncs_started{0}, syncs_done{0};
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
};

template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 400; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(GroupCommitDeferredSync, AcknowledgesOnlyAfterTheSyncAndCommitsMeanwhile) {
  GatedBackend backend;
  std::atomic<int> hooks_run{0};
  std::vector<std::future<void>> writes;
  {
    GroupCommitWriter writer("test", backend, 512);
    auto write = [&] {
      return std::async(std::launch::async, [&] {
        writer.write_sync([&](Tx& tx) { tx.after_commit([&] { hooks_run++; }); });
      });
    };
    writes.push_back(write());
    ASSERT_TRUE(eventually([&] { return backend.syncs_started >= 1; }));
    // The first sync is held: later writes are still committed, but nothing is acknowledged.
    writes.push_back(write());
    writes.push_back(write());
    ASSERT_TRUE(eventually([&] { return backend.commits >= 2; }));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(hooks_run, 0);
    for (auto& w : writes) EXPECT_EQ(w.wait_for(0ms), std::future_status::timeout);
    backend.open_gate();
    for (auto& w : writes) EXPECT_EQ(w.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(hooks_run, 3);
  }
  // Three writes, at most three commits, and the later ones shared a sync.
  EXPECT_LE(backend.syncs_done, 2);
  for (auto& w : writes) w.get();
}

TEST(GroupCommitDeferredSync, AFailedWriteIsReportedAndTheOthersStillCommit) {
  GatedBackend backend;
  backend.open_gate();
  GroupCommitWriter writer("test", backend, 512);
  EXPECT_THROW(writer.write_sync([](Tx&) { throw StorageError("no"); }), StorageError);
  bool ran = false;
  writer.write_sync([&](Tx& tx) { tx.after_commit([&] { ran = true; }); });
  EXPECT_TRUE(ran);
}

// Requests' writes wait in a bounded queue: past the bound they fail at once with 503 (before, a
// database that stopped answering collected every retry in memory and committed them all much
// later), while the writes already queued still commit. The process's own write_sync is not
// bounded.
TEST(GroupCommit, RequestWritesPastTheQueueBoundFailAtOnceAndTheQueuedOnesStillCommit) {
  namespace asio = boost::asio;
  GatedBackend backend;
  backend.open_gate();
  std::atomic<int> committed{0};
  {
    GroupCommitWriter writer("test", backend, 512, 4);
    std::promise<void> started, release;
    auto released = release.get_future().share();
    std::thread busy([&] {
      writer.write_sync([&](Tx&) {
        started.set_value();
        released.wait();  // the writer is held here while the others queue
      });
    });
    started.get_future().wait();
    asio::io_context ioc;
    std::vector<std::future<void>> writes;
    for (int i = 0; i < 6; ++i)
      writes.push_back(asio::co_spawn(ioc, writer.write([&](Tx& tx) { tx.after_commit([&] { ++committed; }); }),
                                      asio::use_future));
    for (int round = 0; round < 3; ++round) {
      ioc.restart();
      ioc.poll();
    }
    int refused = 0;
    for (auto& w : writes) {
      if (w.wait_for(0s) != std::future_status::ready) continue;
      try {
        w.get();
        ADD_FAILURE() << "a write completed while the writer was held";
      } catch (const Error& e) {
        EXPECT_EQ(e.status(), 503);
        ++refused;
      }
    }
    EXPECT_EQ(refused, 2);  // the fifth and sixth, at once
    std::thread own([&] { writer.write_sync([&](Tx& tx) { tx.after_commit([&] { ++committed; }); }); });
    release.set_value();
    busy.join();
    own.join();
    auto pending = [&] {
      return std::count_if(writes.begin(), writes.end(),
                           [](auto& w) { return w.valid() && w.wait_for(0s) != std::future_status::ready; });
    };
    for (int i = 0; i < 400 && pending() > 0; ++i) {
      ioc.restart();
      ioc.run_for(5ms);
    }
    for (auto& w : writes) {
      if (w.valid()) {
        EXPECT_NO_THROW(w.get());
      }
    }
  }
  EXPECT_EQ(committed, 5);  // the four queued and the process's own
}

// A backend on which any transaction with more than one write deadlocks (TransactionAborted at
// commit), as when a batch keeps meeting another replica's locks.
class CrowdedBackend final : public WriterBackend {
 public:
  void begin() override { writes = 0; }
  void commit() override {
    if (writes > 1) throw TransactionAborted("deadlock");
    ++commits;
  }
  void rollback() noexcept override {}
  void savepoint() override {}
  void release_savepoint() override {}
  void rollback_to_savepoint() override {}
  void run(const std::function<void(Tx&)>& fn, std::vector<std::function<void()>>& hooks) override {
    ++writes;
    NullTx tx;
    HookedTx hooked(tx, hooks);
    fn(hooked);
  }
  int writes = 0;
  std::atomic<int> commits{0};
};

TEST(GroupCommit, ABatchUndoneTwiceRunsItsWritesOneByOne) {
  CrowdedBackend backend;
  std::atomic<int> hooks{0};
  {
    GroupCommitWriter writer("test", backend, 512);
    std::promise<void> started;
    std::thread busy([&] {
      writer.write_sync([&](Tx&) {
        started.set_value();
        std::this_thread::sleep_for(100ms);  // the next writes queue into one batch meanwhile
      });
    });
    started.get_future().wait();
    std::vector<std::thread> writers;
    for (int i = 0; i < 4; ++i)
      writers.emplace_back([&] { writer.write_sync([&](Tx& tx) { tx.after_commit([&] { ++hooks; }); }); });
    for (auto& t : writers) t.join();
    busy.join();
  }
  EXPECT_EQ(backend.commits, 5);  // the busy one, then each of the four alone
  EXPECT_EQ(hooks, 4);
}

}  // namespace
}  // namespace parley::storage::detail
