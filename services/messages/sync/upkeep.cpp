// The upkeep thread: keeps the in-memory tail whole and bounded, and prunes the sync log.

#include "parley/core/log.hpp"
#include "parley/core/time.hpp"
#include "sync/sync.hpp"

namespace parley::messages {

void Sync::tail_upkeep() {
  // The in-memory tail keeps about a minute of events: enough for devices that poll again right
  // after an answer (the common case it exists for), bounded however busy the server is. Older
  // cursors are answered from the database.
  constexpr auto kTailKeep = std::chrono::seconds(60), kStuck = std::chrono::seconds(1);
  tail_.forget_before(time::to_unix_ms(time::now()) - std::chrono::duration_cast<std::chrono::milliseconds>(kTailKeep).count());
  // Events that never reach the tail (a lost wake-up) would leave polls waiting for them: a gap
  // that stays for a second, or a tail that stays a second behind the database's newest event
  // (with replicas: the lost wake-up was the last one), is filled from the database. If that
  // cannot be done (too many, or pruned), the tail starts over after them and every waiting poll
  // asks the database.
  constexpr std::int64_t kMaxFill = 10'000;
  try {
    // One process alone hears of every event it commits, but for half a minute after its start
    // it also looks at the database's head: a previous process on the same data may still be
    // finishing its last writes (a restart that did not wait for the old process's exit), which
    // the tail, started at the head, would not hear of.
    std::optional<std::int64_t> head;
    if (!ctx_.single_process || std::chrono::steady_clock::now() - started_at_ < std::chrono::seconds(30))
      db_.read_sync([&](storage::Tx& tx) { head = store::sync_head(tx).last; });
    auto range = tail_.missing(head, kStuck);
    if (!range) return;
    std::optional<std::vector<store::LoggedEvent>> found;
    if (range->to - range->from < kMaxFill)
      db_.read_sync([&](storage::Tx& tx) { found = store::events_between(tx, range->from, range->to); });
    if (found) {
      std::vector<SyncTail::Event> events;
      for (auto& e : *found)
        events.push_back(SyncTail::Event{e.gseq, std::make_shared<const std::string>(std::move(e.payload)),
                                         std::make_shared<const std::vector<std::string>>(std::move(e.audience)), e.at_ms});
      log::info("sync tail: events missing for a second read from the database",
                {{"from", range->from}, {"to", range->to}});
      wake_local(tail_.add(std::move(events)));
      return;
    }
    log::warn("sync tail: events missing for a second; waiting polls ask the database",
              {{"from", range->from}, {"to", range->to}});
    tail_.restart_after(range->to);
    notifier_.notify_all();
  } catch (const std::exception& e) {
    log::warn("sync tail upkeep failed", {{"error", e.what()}});
  }
}

void Sync::prune_loop() {
  constexpr auto kTick = std::chrono::seconds(1);
  auto next_prune = std::chrono::steady_clock::now() + options_.prune_interval;
  for (;;) {
    {
      std::unique_lock lock(prune_mutex_);
      if (prune_cv_.wait_for(lock, kTick, [&] { return stopping_; })) return;
    }
    tail_upkeep();
    if (std::chrono::steady_clock::now() < next_prune) continue;
    next_prune = std::chrono::steady_clock::now() + options_.prune_interval;
    try {
      std::int64_t cutoff = time::to_unix_ms(time::now()) -
                            std::chrono::duration_cast<std::chrono::milliseconds>(options_.retention).count();
      std::int64_t removed = 0, total = 0;
      do {
        removed = db_.write_sync_returning([&](storage::Tx& tx) { return store::prune_events(tx, cutoff, 5000); });
        total += removed;
        tail_upkeep();  // a long prune must not hold the tail's upkeep back
      } while (removed > 0 && !stopping());
      tail_.forget_before(cutoff);
      if (total > 0) log::info("sync events pruned", {{"count", total}});
    } catch (const std::exception& e) {
      log::warn("pruning sync events failed", {{"error", e.what()}});
    }
  }
}

bool Sync::stopping() {
  std::lock_guard lock(prune_mutex_);
  return stopping_;
}

}  // namespace parley::messages
