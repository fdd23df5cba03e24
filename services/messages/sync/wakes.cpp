// Wake-ups between replicas: each replica's committed sync events reach the others' tails and
// long polls through sync.wake messages on the bus (each replica binds its own transient queue).

#include <map>

#include "parley/core/log.hpp"
#include "sync/sync.hpp"

namespace parley::messages {

void Sync::wake_local(const std::vector<std::string>& users) {
  const std::string* last = nullptr;
  for (const auto& u : users) {
    if (last && *last == u) continue;  // consecutive events of one user
    notifier_.notify(u);
    last = &u;
  }
}

void Sync::wake_replicas(std::vector<SyncTail::Event> events) {
  {
    std::lock_guard lock(wake_mutex_);
    wake_pending_.insert(wake_pending_.end(), std::make_move_iterator(events.begin()),
                         std::make_move_iterator(events.end()));
    if (wake_publishing_) return;  // the publisher at work takes these with its next message
    wake_publishing_ = true;
  }
  // Off the writer thread: a publish waits for the broker's confirm. A lost wake-up only delays
  // delivery (the other replicas' tails skip the gap after a second and their polls ask the
  // database); the sync log is in the database.
  ctx_.blocking.post([this] { publish_wakes(); });
}

void Sync::publish_wakes() {
  // A wake-up carries the events themselves (each payload and each audience once, however many
  // events share it), so that the other replicas answer their polls from memory.
  constexpr std::size_t kMaxBytes = 256 * 1024, kMaxEvents = 4096;  // per message
  for (;;) {
    std::vector<SyncTail::Event> events;
    {
      std::lock_guard lock(wake_mutex_);
      if (wake_pending_.empty()) {
        wake_publishing_ = false;
        return;
      }
      events.swap(wake_pending_);
    }
    std::vector<events::Event> messages;
    std::size_t i = 0;
    while (i < events.size()) {
      events::SyncWake wake{.replica = replica_id_, .epoch = sync_epoch_, .payloads = {}, .audiences = {}, .events = {}};
      std::map<const void*, std::size_t> payload_index, audience_index;
      std::size_t bytes = 0;
      for (; i < events.size() && wake.events.size() < kMaxEvents && bytes < kMaxBytes; ++i) {
        const SyncTail::Event& e = events[i];
        auto [p, new_payload] = payload_index.emplace(e.payload.get(), wake.payloads.size());
        if (new_payload) {
          wake.payloads.push_back(*e.payload);
          bytes += e.payload->size();
        }
        auto [a, new_audience] = audience_index.emplace(e.audience.get(), wake.audiences.size());
        if (new_audience) {
          wake.audiences.push_back(*e.audience);
          for (const auto& u : *e.audience) bytes += u.size() + 3;
        }
        wake.events.push_back({e.gseq, static_cast<std::int64_t>(p->second), static_cast<std::int64_t>(a->second), e.at_ms});
        bytes += 48;
      }
      messages.push_back(events::make_event(wake));
    }
    try {
      ctx_.bus.publish_all(messages);
    } catch (const std::exception& e) {
      log::warn("could not wake other replicas", {{"error", e.what()}});
    }
  }
}

void Sync::on_wake(const events::SyncWake& wake) {
  if (wake.replica == replica_id_) return;  // its own: the tail and the polls here had them at commit
  if (wake.epoch != sync_epoch_) return;    // another database's log (a broker shared by two installations)
  std::vector<SharedPayload> shared;
  for (const auto& p : wake.payloads) shared.push_back(std::make_shared<const std::string>(p));
  std::vector<Audience> groups;
  for (const auto& a : wake.audiences) groups.push_back(std::make_shared<const std::vector<std::string>>(a));
  std::vector<SyncTail::Event> events;
  for (const auto& [gseq, p, a, at_ms] : wake.events) {
    if (p < 0 || a < 0 || static_cast<std::size_t>(p) >= shared.size() || static_cast<std::size_t>(a) >= groups.size())
      continue;
    events.push_back(SyncTail::Event{gseq, shared[static_cast<std::size_t>(p)], groups[static_cast<std::size_t>(a)], at_ms});
  }
  // First the tail, then the wake-up: a poll that wakes finds the events there.
  wake_local(tail_.add(std::move(events)));
}

}  // namespace parley::messages
