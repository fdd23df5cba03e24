#pragma once
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>

#include "parley/events/bus.hpp"

namespace parley::http {
class Metrics;
}

namespace parley::events {

// Delivers each published event to every matching consumer synchronously, on the publishing
// thread, so that publish() returns once every consumer has handled it. Used by the all-in-one.
// A handler that keeps failing, or finds the event malformed (MalformedEvent: at once, without
// retries), gives up on the event: it is logged at error level, counted in
// parley_events_dead_lettered_total and kept in dead_letters(); publish() goes on with the next
// consumer, and the process with the next event.
class InProcessBus final : public EventBus {
 public:
  struct Options {
    int max_attempts = 5;                          // handler tries before dead-lettering
    std::chrono::milliseconds retry_backoff{20};   // doubled after each failed try
    std::size_t dead_letters_kept = 100;           // the latest dead letters, for dead_letters()
  };
  // An event a consumer gave up on.
  struct DeadLetter {
    std::string consumer;
    Event event;
    std::string error;
  };
  explicit InProcessBus(Options options, http::Metrics* metrics = nullptr);

  // EventBus
  void publish(const Event& event) override;
  void subscribe(std::string consumer, std::vector<std::string> patterns, EventHandler handler) override;
  // One process: the same thing as subscribe, and nothing is ever missed (on_bound is not called).
  void subscribe_transient(std::string name, std::vector<std::string> patterns,
                           EventHandler handler, std::function<void()> /*on_bound*/ = {}) override {
    subscribe(std::move(name), std::move(patterns), std::move(handler));
  }
  void start() override {}
  void stop() override {}

  std::uint64_t dead_lettered() const { return dead_lettered_.load(); }
  // The latest events consumers gave up on (at most options.dead_letters_kept), oldest first.
  std::vector<DeadLetter> dead_letters() const;

 private:
  struct Subscription {
    std::string consumer;
    std::vector<std::string> patterns;
    EventHandler handler;
  };
  void dead_letter(const Subscription& s, const Event& event, const std::string& error);

  Options options_;
  mutable std::mutex mutex_;
  std::deque<DeadLetter> dead_letters_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
  std::atomic<std::uint64_t> dead_lettered_{0};
  std::atomic<std::uint64_t>* dead_letter_counter_ = nullptr;
};

}  // namespace parley::events
