// GET /api/v1/sync: the long poll. A waiting request is a parked coroutine and a socket.

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <memory>
#include <vector>

#include "messages_service.hpp"
#include "parley/core/error.hpp"

namespace parley::messages {

namespace {
constexpr int kMaxEvents = 100;

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

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::string MessagesService::encode_sync_cursor(std::int64_t gseq) const {
  return service::encode_cursor(sync_epoch_ + ":" + std::to_string(gseq));
}

std::int64_t MessagesService::parse_sync_cursor(const http::Request& request) const {
  // "<epoch>:<gseq>". A cursor of the old per-user log (digits only) or of another database's
  // log is not malformed but expired: the client starts over.
  std::string text = service::decode_cursor(request);
  auto gone = [] { return Error::gone("cursor_expired", "cursor too old; reload and sync again without a cursor"); };
  if (all_digits(text) && text.size() <= 19) throw gone();
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 32) throw Error::invalid_argument("cursor is not valid", "cursor");
  std::string_view epoch(text.data(), colon), number(text.data() + colon + 1, text.size() - colon - 1);
  std::int64_t gseq = -1;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), gseq);
  if (!all_digits(number) || ec != std::errc() || end != number.data() + number.size() ||
      !std::all_of(epoch.begin(), epoch.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    throw Error::invalid_argument("cursor is not valid", "cursor");
  if (epoch != sync_epoch_) throw gone();
  return gseq;
}

async::Task<MessagesService::SyncPage> MessagesService::read_events(std::string me, std::int64_t cursor) {
  store::SyncRead r;
  co_await db_->read([&](storage::Tx& tx) { r = store::read_sync(tx, me, cursor, kMaxEvents); });
  // Pruned past it (an event after it may be gone), or past the end of the log (a database
  // restored from an older backup): the client starts over.
  if (cursor < r.head.floor || cursor > r.head.last || r.head.epoch != sync_epoch_)
    throw Error::gone("cursor_expired", "cursor too old; reload and sync again without a cursor");
  SyncPage out;
  out.cursor = static_cast<int>(r.events.size()) == kMaxEvents ? r.events.back().first : r.head.last;
  out.events = std::move(r.events);
  co_return out;
}

async::Task<http::Response> MessagesService::sync(http::Request& request) {
  auto claims = ctx_.verifier.authenticate(request);
  const auto& me = claims.sub;
  auto timeout = parse_timeout(request);
  if (auto given = request.query_param("cursor"); !given || given->empty()) {  // `cursor=` too
    std::int64_t last = 0;
    co_await db_->read_statement([&](storage::Tx& tx) { last = store::sync_head(tx).last; });
    co_return page(encode_sync_cursor(last), SyncTail::Events{});
  }
  std::int64_t cursor = parse_sync_cursor(request);
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
  bool ask_database_at_end = !ctx_.single_process && timeout < std::chrono::seconds(2);
  // Counted against the user's cap from its first wait on; past the cap the user's oldest parked
  // poll is let go: it answers at once with what it has (usually nothing, and a cursor).
  std::shared_ptr<std::atomic<bool>> let_go;
  PollQuota::Id quota_id = 0;
  struct Leave {
    PollQuota& quota;
    const std::string& user;
    const PollQuota::Id& id;
    ~Leave() {
      if (id) quota.leave(user, id);
    }
  } leave{poll_quota_, me, quota_id};
  for (bool waited = false;; waited = true) {
    // A session revoked (logged out, password changed, account deleted) while the poll waited
    // gets no more events through it.
    if (waited) ctx_.verifier.recheck(claims);
    auto seen = notifier_.version(me);
    // The common case: the tail holds the cursor, and so knows every event after it that it has
    // heard of; on its own it has heard of them all.
    if (auto cached = tail_.after(me, cursor, kMaxEvents)) {
      if (!cached->events.empty()) co_return page(encode_sync_cursor(cached->cursor), cached->events);
      quiet = cached->cursor;
    } else {
      auto found = co_await read_events(me, cursor);
      if (!found.events.empty()) co_return page(encode_sync_cursor(found.cursor), found.events);
      quiet = found.cursor;
      ask_database_at_end = false;  // it just did
    }
    auto now = std::chrono::steady_clock::now();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (left.count() <= 0 || notifier_.shutting_down() || (let_go && *let_go)) {
      if (ask_database_at_end && !notifier_.shutting_down()) {
        auto found = co_await read_events(me, cursor);
        if (!found.events.empty()) co_return page(encode_sync_cursor(found.cursor), found.events);
        quiet = found.cursor;
      }
      co_return page(encode_sync_cursor(quiet), SyncTail::Events{});
    }
    // A client that closes its connection meanwhile ends the wait (the wake-up is the user's: any
    // other poll of theirs looks again, finds nothing, and waits on). Watching costs a little per
    // parked poll, and most are answered within moments: only a poll still waiting after a
    // second is watched.
    auto wait_for = left;
    if (request.client) {
      if (request.client->gone()) co_return page(encode_sync_cursor(quiet), SyncTail::Events{});
      if (now >= watch_from)  // (me lives in this frame, which outlives the watch: the server ends it when we return)
        request.client->watch([this, &me] { notifier_.notify(me); });
      else
        wait_for = std::min(left, std::chrono::ceil<std::chrono::milliseconds>(watch_from - now));
    }
    if (!let_go) {
      let_go = std::make_shared<std::atomic<bool>>(false);
      std::vector<PollQuota::Release> evicted;
      quota_id = poll_quota_.park(
          me,
          [this, let_go, user = me] {
            *let_go = true;
            notifier_.notify(user);  // (the user's other polls look again, and wait on)
          },
          evicted);
      for (auto& release : evicted) {
        ++polls_let_go_;
        release();
      }
    }
    co_await notifier_.wait(me, seen, wait_for);
  }
}

}  // namespace parley::messages
