#include "parley/async/worker_pool.hpp"

#include <boost/asio/thread_pool.hpp>

namespace parley::async {

struct WorkerPool::Impl {
  explicit Impl(std::size_t threads) : pool(threads) {}
  asio::thread_pool pool;
};

WorkerPool::WorkerPool(Options options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(options_.threads)) {}

WorkerPool::~WorkerPool() { join(); }

void WorkerPool::join() { impl_->pool.join(); }

bool WorkerPool::try_reserve() {
  std::size_t current = queued_.load();
  while (current < options_.max_queued) {
    if (queued_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

void WorkerPool::submit(std::function<void()> job) {
  asio::post(impl_->pool, [this, job = std::move(job)] {
    queued_.fetch_sub(1);
    job();
  });
}

void WorkerPool::post(std::function<void()> job) {
  queued_.fetch_add(1);
  submit(std::move(job));
}

}  // namespace parley::async
