#include "parley/async/worker_pool.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "parley/async/run_blocking.hpp"

namespace parley::async {
namespace {

TEST(WorkerPool, RunsOnAWorkerAndReturnsTheResult) {
  WorkerPool pool({.name = "test", .threads = 2});
  auto caller = std::this_thread::get_id();
  auto [value, worker] = run_blocking([&]() -> Task<std::pair<int, std::thread::id>> {
    co_return co_await pool.run([] { return std::pair{42, std::this_thread::get_id()}; });
  }());
  EXPECT_EQ(value, 42);
  EXPECT_NE(worker, caller);
}

TEST(WorkerPool, PropagatesExceptions) {
  WorkerPool pool({.name = "test", .threads = 1});
  EXPECT_THROW(run_blocking([&]() -> Task<void> {
                 co_await pool.run([] { throw std::runtime_error("boom"); });
               }()),
               std::runtime_error);
}

TEST(WorkerPool, RefusesWorkBeyondItsBound) {
  WorkerPool pool({.name = "test", .threads = 1, .max_queued = 0});
  try {
    run_blocking([&]() -> Task<void> { co_await pool.run([] {}); }());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), 503);
  }
}

}  // namespace
}  // namespace parley::async
