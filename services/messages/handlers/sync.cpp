// GET /api/v1/sync: the long poll. A waiting request is a parked coroutine and a socket.

#include <charconv>

#include "messages_service.hpp"
#include "parley/core/error.hpp"

namespace parley::messages {

namespace {
constexpr int kMaxEvents = 100;

std::int64_t parse_cursor(const http::Request& request) {
  std::string text = service::decode_cursor(request);
  std::int64_t v = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0)
    throw Error::invalid_argument("cursor is not valid", "cursor");
  return v;
}

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
http::Response page(std::int64_t cursor, const Events& events) {
  // Payloads are stored serialized: splice them in rather than parse and re-serialize.
  std::string body = "{\"cursor\":\"" + service::encode_cursor(std::to_string(cursor)) + "\",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) body.push_back(',');
    body += text(events[i].second);
  }
  body += "]}";
  return http::Response::text(200, std::move(body), "application/json; charset=utf-8");
}
}  // namespace

async::Task<std::vector<std::pair<std::int64_t, std::string>>> MessagesService::read_events(std::string me,
                                                                                           std::int64_t cursor) {
  // Usually the cursor's own event is still kept: then one statement answers.
  std::optional<std::vector<std::pair<std::int64_t, std::string>>> after;
  if (cursor > 0)
    co_await db_->read_statement([&](storage::Tx& tx) { after = store::events_from(tx, me, cursor, kMaxEvents); });
  if (after) co_return std::move(*after);
  std::vector<std::pair<std::int64_t, std::string>> events;
  bool expired = false;
  co_await db_->read([&](storage::Tx& tx) {
    std::int64_t last = store::last_event_seq(tx, me);
    // Too old (pruned past it) or from another life of the database: the client starts over.
    if (cursor > last || cursor < store::first_kept_seq(tx, me) - 1) {
      expired = true;
      return;
    }
    if (cursor < last) events = store::events_after(tx, me, cursor, kMaxEvents);
    // Pruning goes by age, and replicas stamp their events with their own clocks: the event right
    // after the cursor may be gone while the cursor's is kept. The client missed it: start over.
    if (!events.empty() && events.front().first != cursor + 1) expired = true;
  });
  if (expired) throw Error::gone("cursor_expired", "cursor too old; reload and sync again without a cursor");
  co_return events;
}

async::Task<http::Response> MessagesService::sync(http::Request& request) {
  auto me = ctx_.verifier.authenticate(request).sub;
  auto timeout = parse_timeout(request);
  if (!request.query_param("cursor")) {
    std::int64_t last = 0;
    co_await db_->read([&](storage::Tx& tx) { last = store::last_event_seq(tx, me); });
    co_return page(last, SyncTail::Events{});
  }
  std::int64_t cursor = parse_cursor(request);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // What a parked poll keeps should be small: the headers (a JWT among them) are not needed now.
  request.headers = {};
  request.body = {};
  request.query = {};
  bool unread = false;  // whether the database was last left unasked
  for (;;) {
    auto seen = notifier_.version(me);
    if (auto cached = tail_.after(me, cursor, kMaxEvents)) {  // the common case: no database read
      if (!cached->empty()) co_return page(cached->back().first, *cached);
      // Nothing newer is known here. Alone, this process commits every event, so that is the
      // truth. With replicas, an event committed elsewhere comes with a wake-up that wakes this
      // poll; should the wake-up be lost, the database is asked before the poll answers "nothing".
      unread = !ctx_.single_process;
    } else {
      auto events = co_await read_events(me, cursor);
      if (!events.empty()) co_return page(events.back().first, events);
      unread = false;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || notifier_.shutting_down()) {
      if (unread && !notifier_.shutting_down()) {
        auto events = co_await read_events(me, cursor);
        if (!events.empty()) co_return page(events.back().first, events);
      }
      co_return page(cursor, SyncTail::Events{});
    }
    co_await notifier_.wait(me, seen, left);
  }
}

}  // namespace parley::messages
