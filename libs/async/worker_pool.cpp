#include "parley/async/worker_pool.hpp"

#include "parley/core/thread_name.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::async {

struct WorkerPool::Impl {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;
  std::vector<std::thread> threads;
};

WorkerPool::WorkerPool(Options options) : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.threads); ++i)
    impl_->threads.emplace_back([this] {
      name_this_thread(options_.name);
      if (options_.nice != 0)
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), options_.nice);
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(impl_->mutex);
          impl_->cv.wait(lock, [&] { return impl_->stopping || !impl_->jobs.empty(); });
          if (impl_->jobs.empty()) return;  // stopping, and drained
          job = std::move(impl_->jobs.front());
          impl_->jobs.pop_front();
        }
        queued_.fetch_sub(1);
        job();
      }
    });
}

WorkerPool::~WorkerPool() { join(); }

void WorkerPool::join() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
}

bool WorkerPool::try_reserve() {
  std::size_t current = queued_.load();
  while (current < options_.max_queued) {
    if (queued_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

void WorkerPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->jobs.push_back(std::move(job));
  }
  impl_->cv.notify_one();
}

void WorkerPool::post(std::function<void()> job) {
  queued_.fetch_add(1);
  submit(std::move(job));
}

}  // namespace parley::async
