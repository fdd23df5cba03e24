// GET /api/v1/sync: the long poll. A waiting request is a parked coroutine and a socket.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <memory>
#include <vector>

#include "handlers/sync.hpp"
#include "parley/core/error.hpp"
#include "parley/service/service.hpp"
#include "sync/sync.hpp"

namespace parley::messages {

namespace {
std::chrono::milliseconds parse_timeout(const http::Request& request) {
  auto text = request.query_param("timeout_ms");
  if (!text) return std::chrono::milliseconds(25'000);
  long long v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec == std::errc::result_out_of_range && !text->empty() && (*text)[0] != '-') v = 60'000;
  else if (ec != std::errc() || end != text->data() + text->size() || v < 0)
    throw Error::invalid_argument("timeout_ms must be a non-negative integer", "timeout_ms");
  return std::chrono::milliseconds(std::min<long long>(v, 60'000));  // clamped to 60 s
}

const std::string& text(const std::string& s) { return s; }
const std::string& text(const SyncTail::Payload& s) { return *s; }

template <class Events>
http::Response page(const std::string& cursor, const Events& events) {
  // Payloads are stored serialized: splice them in rather than parse and re-serialize.
  std::string body = "{\"cursor\":\"" + cursor + "\",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) body.push_back(',');
    body += text(events[i].second);
  }
  body += "]}";
  return http::Response::text(200, std::move(body), "application/json; charset=utf-8");
}

}  // namespace

async::Task<http::Response> SyncHandler::sync(http::Request& request) {
  auto claims = verifier_.authenticate(request);
  const auto& me = claims.sub;
  auto timeout = parse_timeout(request);
  if (auto given = request.query_param("cursor"); !given || given->empty()) {  // `cursor=` too
    std::int64_t last = co_await sync_.head();
    co_return page(sync_.encode_cursor(last), SyncTail::Events{});
  }
  std::int64_t cursor = sync_.parse_cursor(service::decode_cursor(request));
  auto started = std::chrono::steady_clock::now();
  auto deadline = started + timeout, watch_from = started + std::chrono::seconds(1);
  // What a parked poll keeps should be small: the headers (a JWT among them) are not needed now.
  request.headers = {};
  request.body = {};
  request.query = {};
  claims.jti = std::string();  // only the session, user and times are checked again
  std::int64_t quiet = cursor;  // the cursor to answer with if nothing comes: past others' events
  // With replicas, the tail learns of other replicas' events a moment after they commit (and
  // notices within about two seconds if they never come). A poll shorter than that ("anything
  // new right now?") asks the database before it answers "nothing", so that it sees what was
  // written through another replica just before.
  bool ask_database_at_end = sync_.with_replicas() && timeout < std::chrono::seconds(2);
  // Counted against the user's cap from its first wait on; past the cap the user's oldest parked
  // poll is let go: it answers at once with what it has (usually nothing, and a cursor).
  std::shared_ptr<std::atomic<bool>> let_go;
  PollQuota::Id quota_id = 0;
  struct Leave {
    Sync& sync;
    const std::string& user;
    const PollQuota::Id& id;
    ~Leave() {
      if (id) sync.leave(user, id);
    }
  } leave{sync_, me, quota_id};
  for (bool waited = false;; waited = true) {
    // A session revoked (logged out, password changed, account deleted) while the poll waited
    // gets no more events through it.
    if (waited) verifier_.recheck(claims);
    auto seen = sync_.notifier().version(me);
    // The common case: the tail holds the cursor, and so knows every event after it that it has
    // heard of; on its own it has heard of them all.
    if (auto cached = sync_.from_tail(me, cursor)) {
      if (!cached->events.empty()) co_return page(sync_.encode_cursor(cached->cursor), cached->events);
      quiet = cached->cursor;
    } else {
      auto found = co_await sync_.from_database(me, cursor);
      if (!found.events.empty()) co_return page(sync_.encode_cursor(found.cursor), found.events);
      quiet = found.cursor;
      ask_database_at_end = false;  // it just did
    }
    auto now = std::chrono::steady_clock::now();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (left.count() <= 0 || sync_.notifier().shutting_down() || (let_go && *let_go)) {
      if (ask_database_at_end && !sync_.notifier().shutting_down()) {
        auto found = co_await sync_.from_database(me, cursor);
        if (!found.events.empty()) co_return page(sync_.encode_cursor(found.cursor), found.events);
        quiet = found.cursor;
      }
      co_return page(sync_.encode_cursor(quiet), SyncTail::Events{});
    }
    // A client that closes its connection meanwhile ends the wait (the wake-up is the user's: any
    // other poll of theirs looks again, finds nothing, and waits on). Watching costs a little per
    // parked poll, and most are answered within moments: only a poll still waiting after a
    // second is watched.
    auto wait_for = left;
    if (request.client) {
      if (request.client->gone()) co_return page(sync_.encode_cursor(quiet), SyncTail::Events{});
      if (now >= watch_from)  // (me lives in this frame, which outlives the watch: the server ends it when we return)
        request.client->watch([this, &me] { sync_.notifier().notify(me); });
      else
        wait_for = std::min(left, std::chrono::ceil<std::chrono::milliseconds>(watch_from - now));
    }
    if (!let_go) {
      let_go = std::make_shared<std::atomic<bool>>(false);
      quota_id = sync_.park(me, [this, let_go, user = me] {
        *let_go = true;
        sync_.notifier().notify(user);  // (the user's other polls look again, and wait on)
      });
    }
    co_await sync_.notifier().wait(me, seen, wait_for);
  }
}

}  // namespace parley::messages
