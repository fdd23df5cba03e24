#include "parley/async/notifier.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace parley::async {

struct Notifier::Waiter {
  std::mutex mutex;
  bool done = false;
  bool notified = false;
  Resume resume;
  // First caller wins; returns whether this call finished the wait.
  bool finish(bool by_notify) {
    std::lock_guard lock(mutex);
    if (done || !resume) return false;
    done = true;
    notified = by_notify;
    resume(nullptr);
    return true;
  }
};

std::uint64_t Notifier::version(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  return (it == slots_.end() ? 0 : it->second.version) + generation_;
}

Task<bool> Notifier::wait(std::string key, std::uint64_t seen, std::chrono::milliseconds timeout) {
  if (shutdown_) co_return false;
  auto waiter = std::make_shared<Waiter>();
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, timeout);
  bool already = false;
  co_await suspend([&](Resume resume) {
    {
      std::lock_guard lock(waiter->mutex);
      waiter->resume = std::move(resume);
    }
    {
      std::lock_guard lock(mutex_);
      Slot& slot = slots_[key];
      if (slot.version + generation_ != seen || shutdown_) {
        already = true;
      } else {
        slot.waiters.push_back(waiter);
        ++waiting_;
      }
    }
    if (already) {
      waiter->finish(true);
      return;
    }
    timer.async_wait([waiter](boost::system::error_code ec) {
      if (!ec) waiter->finish(false);
    });
  });
  timer.cancel();
  if (!already) {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(key);
    if (it != slots_.end()) {
      auto& list = it->second.waiters;
      for (auto w = list.begin(); w != list.end(); ++w)
        if (*w == waiter) {
          list.erase(w);
          --waiting_;
          break;
        }
    }
  }
  co_return waiter->notified;
}

void Notifier::notify(const std::string& key) {
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mutex_);
    Slot& slot = slots_[key];
    ++slot.version;
    wake.swap(slot.waiters);
    waiting_ -= wake.size();
  }
  for (auto& w : wake) w->finish(true);
}

void Notifier::notify_all() {
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mutex_);
    ++generation_;  // also for keys without a slot yet: a version read before this is stale
    for (auto& [key, slot] : slots_) {
      for (auto& w : slot.waiters) wake.push_back(std::move(w));
      slot.waiters.clear();
    }
    waiting_ = 0;
  }
  for (auto& w : wake) w->finish(true);
}

void Notifier::shutdown() {
  shutdown_ = true;
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, slot] : slots_) {
      for (auto& w : slot.waiters) wake.push_back(std::move(w));
      slot.waiters.clear();
    }
    waiting_ = 0;
  }
  for (auto& w : wake) w->finish(false);
}

}  // namespace parley::async
