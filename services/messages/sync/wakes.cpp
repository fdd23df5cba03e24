// Wake-ups between replicas: each replica's committed sync events reach the others' tails and
// long polls through sync.wake messages on the bus (each replica binds its own transient queue).

#include <boost/json/array.hpp>

#include <map>

#include "parley/core/log.hpp"
#include "sync/sync.hpp"

namespace parley::messages {

namespace bj = boost::json;

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
      bj::array payloads, audiences, rows;
      std::map<const void*, std::size_t> payload_index, audience_index;
      std::size_t bytes = 0;
      for (; i < events.size() && rows.size() < kMaxEvents && bytes < kMaxBytes; ++i) {
        const SyncTail::Event& e = events[i];
        auto [p, new_payload] = payload_index.emplace(e.payload.get(), payloads.size());
        if (new_payload) {
          payloads.emplace_back(*e.payload);
          bytes += e.payload->size();
        }
        auto [a, new_audience] = audience_index.emplace(e.audience.get(), audiences.size());
        if (new_audience) {
          bj::array users;
          for (const auto& u : *e.audience) {
            users.emplace_back(u);
            bytes += u.size() + 3;
          }
          audiences.emplace_back(std::move(users));
        }
        rows.push_back(bj::array{e.gseq, static_cast<std::int64_t>(p->second), static_cast<std::int64_t>(a->second), e.at_ms});
        bytes += 48;
      }
      messages.push_back(events::Event::make("sync.wake", "messages",
                                             {{"replica", replica_id_},
                                              {"epoch", sync_epoch_},
                                              {"payloads", std::move(payloads)},
                                              {"audiences", std::move(audiences)},
                                              {"events", std::move(rows)}}));
    }
    try {
      ctx_.bus.publish_all(messages);
    } catch (const std::exception& e) {
      log::warn("could not wake other replicas", {{"error", e.what()}});
    }
  }
}

void Sync::on_wake(const events::Event& e) {
  if (auto from = e.data.if_contains("replica"); from && from->is_string() && from->as_string() == replica_id_)
    return;  // its own: the tail and the polls here had them at commit
  if (auto epoch = e.data.if_contains("epoch"); !epoch || !epoch->is_string() || epoch->as_string() != sync_epoch_)
    return;  // another database's log (a broker shared by two installations)
  auto payloads = e.data.if_contains("payloads");
  auto audiences = e.data.if_contains("audiences");
  auto rows = e.data.if_contains("events");
  if (!payloads || !payloads->is_array() || !audiences || !audiences->is_array() || !rows || !rows->is_array()) return;
  std::vector<SharedPayload> shared;
  for (const auto& p : payloads->as_array())
    shared.push_back(p.is_string() ? std::make_shared<const std::string>(p.as_string()) : nullptr);
  std::vector<Audience> groups;
  for (const auto& a : audiences->as_array()) {
    auto users = std::make_shared<std::vector<std::string>>();
    if (a.is_array())
      for (const auto& u : a.as_array())
        if (u.is_string()) users->emplace_back(u.as_string());
    groups.push_back(std::move(users));
  }
  std::vector<SyncTail::Event> events;
  for (const auto& row : rows->as_array()) {
    const auto* r = row.if_array();
    if (!r || r->size() != 4 || !(*r)[0].is_int64() || !(*r)[1].is_int64() || !(*r)[2].is_int64() || !(*r)[3].is_int64())
      continue;
    auto p = static_cast<std::size_t>((*r)[1].as_int64());
    auto a = static_cast<std::size_t>((*r)[2].as_int64());
    if (p >= shared.size() || !shared[p] || a >= groups.size()) continue;
    events.push_back(SyncTail::Event{(*r)[0].as_int64(), shared[p], groups[a], (*r)[3].as_int64()});
  }
  // First the tail, then the wake-up: a poll that wakes finds the events there.
  wake_local(tail_.add(std::move(events)));
}

}  // namespace parley::messages
