#pragma once
// Wakes coroutines waiting on a key (a user id) when something for that key happens: the heart
// of long polling. A waiter costs a parked coroutine and a timer, no thread. A version per key
// closes the race between "nothing new yet" and "park": wait() returns at once if the key was
// notified after the caller read version().

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "parley/async/await.hpp"

namespace parley::async {

class Notifier {
 public:
  Notifier() = default;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  std::uint64_t version(const std::string& key) const;
  // (key by value: this is a coroutine.) Returns when key is notified after `seen` (at once if it already was), after timeout, or at
  // shutdown. True if notified.
  Task<bool> wait(std::string key, std::uint64_t seen, std::chrono::milliseconds timeout);
  // Any thread.
  void notify(const std::string& key);
  // Any thread: notifies every key, including those nobody waits on yet (a version read before
  // this call is stale afterwards).
  void notify_all();
  // Releases every waiter; later waits return at once.
  void shutdown();
  bool shutting_down() const { return shutdown_.load(); }
  std::size_t waiting() const { return waiting_.load(); }
  // Keys somebody waits on (the only ones that take memory).
  std::size_t keys() const;

 private:
  struct Waiter;
  // A key has a slot only while somebody waits on it, so that notifying users who never poll
  // here costs no memory. Versions come from one counter that every notify advances: a key's
  // version is its slot's (the counter at its last notify), or, without a slot, its bucket's
  // (the counter at the last notify of a key of that bucket without a slot, or of such a slot
  // that went away), or the counter at the last notify_all if that is later. Equal versions thus
  // mean no notify of that key in between; a notify of another key of the same bucket may wake a
  // waiter spuriously (it looks again and waits again), never the other way round.
  struct Slot {
    std::uint64_t version = 0;
    std::vector<std::shared_ptr<Waiter>> waiters;
  };
  std::uint64_t version_locked(const std::string& key) const;
  void forget_if_idle(std::unordered_map<std::string, Slot>::iterator it);
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;
  static constexpr std::size_t kBuckets = 4096;
  std::uint64_t& bucket(const std::string& key) { return buckets_[std::hash<std::string>{}(key) % kBuckets]; }
  const std::uint64_t& bucket(const std::string& key) const { return buckets_[std::hash<std::string>{}(key) % kBuckets]; }
  std::uint64_t counter_ = 0;
  std::uint64_t all_ = 0;  // the counter at the last notify_all
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::atomic<bool> shutdown_{false};
  std::atomic<std::size_t> waiting_{0};
};

}  // namespace parley::async
