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

std::uint64_t Notifier::version_locked(const std::string& key) const {
  auto it = slots_.find(key);
  return it == slots_.end() ? std::max(bucket(key), all_) : it->second.version;
}

std::uint64_t Notifier::version(const std::string& key) const {
  std::lock_guard lock(mutex_);
  return version_locked(key);
}

std::size_t Notifier::keys() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

void Notifier::forget_if_idle(std::unordered_map<std::string, Slot>::iterator it) {
  if (!it->second.waiters.empty()) return;
  // Its bucket takes over its version, so that a version read from it stays comparable.
  auto& b = bucket(it->first);
  b = std::max(b, it->second.version);
  slots_.erase(it);
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
      if (version_locked(key) != seen || shutdown_) {
        already = true;
      } else {
        auto [it, fresh] = slots_.try_emplace(key);
        if (fresh) it->second.version = std::max(bucket(key), all_);
        it->second.waiters.push_back(waiter);
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
      forget_if_idle(it);
    }
  }
  co_return waiter->notified;
}

void Notifier::notify(const std::string& key) {
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mutex_);
    ++counter_;
    auto it = slots_.find(key);
    if (it == slots_.end()) {
      bucket(key) = counter_;
    } else {
      it->second.version = counter_;
      wake.swap(it->second.waiters);
      waiting_ -= wake.size();
      forget_if_idle(it);
    }
  }
  for (auto& w : wake) w->finish(true);
}

void Notifier::notify_all() {
  std::vector<std::shared_ptr<Waiter>> wake;
  {
    std::lock_guard lock(mutex_);
    all_ = ++counter_;  // every version read before this is stale now
    for (auto& [key, slot] : slots_)
      for (auto& w : slot.waiters) wake.push_back(std::move(w));
    slots_.clear();
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
