#include "parley/events/in_process_bus.hpp"

#include <thread>

#include "parley/core/log.hpp"
#include "parley/events/catalog.hpp"
#include "parley/http/metrics.hpp"
#include "parley/storage/database.hpp"

namespace parley::events {

InProcessBus::InProcessBus(Options options, http::Metrics* metrics) : options_(options) {
  if (metrics)
    dead_letter_counter_ = &metrics->counter(
        "parley_events_dead_lettered_total",
        "Events a consumer gave up on: malformed (at once), or failing after every retry.");
}

std::vector<InProcessBus::DeadLetter> InProcessBus::dead_letters() const {
  std::lock_guard lock(mutex_);
  return {dead_letters_.begin(), dead_letters_.end()};
}

void InProcessBus::dead_letter(const Subscription& s, const Event& event, const std::string& error) {
  ++dead_lettered_;
  if (dead_letter_counter_) dead_letter_counter_->fetch_add(1);
  std::lock_guard lock(mutex_);
  dead_letters_.push_back(DeadLetter{s.consumer, event, error});
  while (dead_letters_.size() > options_.dead_letters_kept) dead_letters_.pop_front();
}

void InProcessBus::subscribe(std::string consumer, std::vector<std::string> patterns,
                             EventHandler handler) {
  std::lock_guard lock(mutex_);
  subscriptions_.push_back(std::make_shared<Subscription>(
      Subscription{std::move(consumer), std::move(patterns), std::move(handler)}));
}

void InProcessBus::publish(const Event& event) {
  std::vector<std::shared_ptr<Subscription>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& s : subscriptions_)
      for (const auto& p : s->patterns)
        if (matches(p, event.type)) {
          targets.push_back(s);
          break;
        }
  }
  for (const auto& s : targets) {
    auto backoff = options_.retry_backoff;
    for (int attempt = 1;; ++attempt) {
      try {
        s->handler(event);
        break;
      } catch (const storage::ConnectionLost& e) {
        // The consumer's database is away: not the event's fault. Nothing is dead-lettered; the
        // publish fails, so the outbox keeps the event and relays it again later (consumers that
        // already took it drop the repeat by its id).
        log::warn("event handler's database is away; the event stays in the outbox",
                  {{"consumer", s->consumer}, {"event_id", event.id}, {"error", e.what()}});
        throw;
      } catch (const MalformedEvent& e) {
        // Not the handler's fault and not transient: retrying cannot fix it, and nothing of it
        // was applied (consumers parse before they write).
        log::error("malformed event dead-lettered", {{"consumer", s->consumer},
                                                     {"event_id", event.id},
                                                     {"type", event.type},
                                                     {"field", e.field()},
                                                     {"error", e.what()}});
        dead_letter(*s, event, e.what());
        break;
      } catch (const std::exception& e) {
        if (attempt >= options_.max_attempts) {
          log::error("event dead-lettered", {{"consumer", s->consumer},
                                             {"event_id", event.id},
                                             {"type", event.type},
                                             {"error", e.what()}});
          dead_letter(*s, event, e.what());
          break;
        }
        log::warn("event handler failed; retrying", {{"consumer", s->consumer},
                                                     {"event_id", event.id},
                                                     {"attempt", attempt},
                                                     {"error", e.what()}});
        std::this_thread::sleep_for(backoff);
        backoff *= 2;
      }
    }
  }
}

}  // namespace parley::events
