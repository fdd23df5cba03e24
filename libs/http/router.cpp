#include "parley/http/router.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/object.hpp>

#include <mutex>

#include "parley/core/error.hpp"
#include "parley/core/log.hpp"
#include "parley/http/metrics.hpp"

namespace parley::http {

namespace {
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') { ++i; continue; }
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}
bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}
}  // namespace

Response error_response(std::exception_ptr error, const Request& request) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    if (e.status() >= 500)
      log::error("request failed", {{"request_id", request.request_id},
                                    {"route", request.route},
                                    {"code", e.code()},
                                    {"detail", e.log_message().empty() ? e.message() : e.log_message()}});
    Response r = Response::text(e.status(), e.envelope(), "application/json; charset=utf-8");
    if (e.status() == 429) {
      auto it = e.details().find("retry_after_ms");
      if (it != e.details().end() && it->value().is_int64())
        r.headers.emplace_back("Retry-After", std::to_string((it->value().as_int64() + 999) / 1000));
    }
    return r;
  } catch (const DependencyFailure& e) {
    log::error("request failed", {{"request_id", request.request_id},
                                  {"route", request.route},
                                  {"code", "unavailable"},
                                  {"detail", e.what()}});
    return Response::text(503, Error::unavailable().envelope(), "application/json; charset=utf-8");
  } catch (const std::exception& e) {
    log::error("unhandled exception", {{"request_id", request.request_id},
                                       {"route", request.route},
                                       {"detail", e.what()}});
  } catch (...) {
    log::error("unhandled exception", {{"request_id", request.request_id}, {"route", request.route}});
  }
  Error internal = Error::internal("unhandled");
  return Response::text(500, internal.envelope(), "application/json; charset=utf-8");
}

Router::Router(Metrics& metrics, std::chrono::milliseconds default_deadline)
    : metrics_(metrics), default_deadline_(default_deadline) {}

void Router::add(std::string method, std::string pattern, Handler handler, std::chrono::milliseconds deadline) {
  routes_.push_back(Route{std::move(method), pattern, split_path(pattern), std::move(handler), deadline});
}

void Router::set_fallback(std::string route_label, Fallback fallback) {
  fallback_label_ = std::move(route_label);
  fallback_ = std::move(fallback);
}

bool Router::try_fallback(const Request& request, Response& response,
                          std::exception_ptr& error) const {
  if (!fallback_ || (request.method != "GET" && request.method != "HEAD")) return false;
  try {
    auto answer = fallback_(request);
    if (!answer) return false;
    response = std::move(*answer);
  } catch (...) {
    error = std::current_exception();
  }
  return true;
}

namespace {
// Runs handler on its own coroutine and returns its response, or throws 503 if the deadline comes
// first. The request is shared with the handler so that it outlives an abandoned handler.
async::Task<Response> with_deadline(const Handler& handler, Request& request, std::chrono::milliseconds deadline) {
  namespace asio = boost::asio;
  struct State {
    std::mutex mutex;
    bool done = false;
    Response response;
    std::exception_ptr error;
    async::Resume resume;
    void finish(std::exception_ptr e, Response r) {
      std::lock_guard lock(mutex);
      if (done) return;
      done = true;
      error = e;
      response = std::move(r);
      resume(nullptr);
    }
  };
  auto state = std::make_shared<State>();
  auto shared = std::make_shared<Request>(std::move(request));
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, deadline);
  co_await async::suspend([&](async::Resume resume) {
    state->resume = std::move(resume);
    asio::co_spawn(
        executor, [&handler, shared]() -> async::Task<Response> { co_return co_await handler(*shared); },
        [state](std::exception_ptr e, Response r) { state->finish(e, std::move(r)); });
    timer.async_wait([state](boost::system::error_code ec) {
      // The handler goes on: a write it started may still take effect (a send repeated with its
      // client_id is then answered 200 with the message, not stored twice). Say so.
      if (!ec)
        state->finish(std::make_exception_ptr(Error::unavailable(
                          "request deadline exceeded; it may still take effect (repeat a send with the same client_id)")),
                      {});
    });
  });
  timer.cancel();
  request = *shared;  // for the log line: route and request id
  if (state->error) std::rethrow_exception(state->error);
  co_return std::move(state->response);
}
}  // namespace

async::Task<Response> Router::dispatch(Request& request) const {
  auto started = std::chrono::steady_clock::now();
  auto segments = split_path(request.path);
  const Route* found = nullptr;
  std::string allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i)
      match = is_param(route.segments[i]) ? !segments[i].empty() : route.segments[i] == segments[i];
    if (!match) continue;
    if (route.method == request.method) {
      found = &route;
      break;
    }
    if (allowed.find(route.method) == std::string::npos) allowed += (allowed.empty() ? "" : ", ") + route.method;
  }

  Response response;
  std::exception_ptr error;
  if (found) {
    request.route = found->pattern;
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (is_param(found->segments[i]))
        request.params[found->segments[i].substr(1, found->segments[i].size() - 2)] = segments[i];
    auto deadline = found->deadline.count() != 0 ? found->deadline : default_deadline_;
    try {
      if (deadline == kSelfBounded) {
        response = co_await found->handler(request);
      } else {
        request.deadline = std::chrono::steady_clock::now() + deadline;
        response = co_await with_deadline(found->handler, request, deadline);
      }
    } catch (...) {
      error = std::current_exception();
    }
  } else if (allowed.empty() && try_fallback(request, response, error)) {
    request.route = fallback_label_;
  } else if (!allowed.empty()) {
    request.route = "(method not allowed)";
    Error e(405, "method_not_allowed", "method " + request.method + " is not allowed here");
    error = std::make_exception_ptr(e);
  } else {
    request.route = "(unmatched)";
    error = std::make_exception_ptr(Error::not_found("no such route"));
  }
  if (error) response = error_response(error, request);
  if (response.status == 405 && !allowed.empty()) response.headers.emplace_back("Allow", allowed);

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.observe_request(request.route, response.status, seconds);
  if (log::enabled(log::Level::info))
    log::info("request", {{"method", request.method},
                          {"route", request.route},
                          {"status", response.status},
                          {"duration_us", static_cast<std::int64_t>(seconds * 1e6)},
                          {"request_id", request.request_id}});
  co_return response;
}

}  // namespace parley::http
