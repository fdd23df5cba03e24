#pragma once
// A bounded pool of threads for blocking work (database calls, password hashing, rendering),
// awaited from I/O coroutines so that an I/O thread never blocks.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "parley/async/await.hpp"
#include "parley/core/error.hpp"

namespace parley::async {

class WorkerPool {
 public:
  struct Options {
    std::string name = "workers";  // for logs and metrics
    std::size_t threads = 2;       // worker threads
    std::size_t max_queued = 4096; // jobs waiting before run() answers 503
    int nice = 0;                  // scheduling priority of the threads (Linux nice; higher
                                   // yields the CPU to I/O threads under load)
  };

  explicit WorkerPool(Options options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs fn on a worker and resumes the caller on its own executor with fn's result (or its
  // exception). Throws Error::unavailable at once when max_queued jobs are already waiting.
  template <class F>
  Task<std::invoke_result_t<F&>> run(F fn) {
    using R = std::invoke_result_t<F&>;
    if (!try_reserve()) throw Error::unavailable(options_.name + " is overloaded, retry shortly");
    if constexpr (std::is_void_v<R>) {
      co_await suspend([&](Resume resume) {
        submit([&fn, resume] {
          std::exception_ptr error;
          try { fn(); } catch (...) { error = std::current_exception(); }
          resume(error);
        });
      });
    } else {
      std::optional<R> result;
      co_await suspend([&](Resume resume) {
        submit([&fn, &result, resume] {
          std::exception_ptr error;
          try { result.emplace(fn()); } catch (...) { error = std::current_exception(); }
          resume(error);
        });
      });
      co_return std::move(*result);
    }
  }

  // Fire and forget (no bound); for background work.
  void post(std::function<void()> job);
  std::size_t queued() const { return queued_.load(); }
  void join();

 private:
  bool try_reserve();
  void submit(std::function<void()> job);  // job already reserved

  Options options_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<std::size_t> queued_{0};
};

}  // namespace parley::async
