#pragma once
// Routes requests by method and path pattern ("/api/v1/users/{id}") to handlers; answers 404 and
// 405 in the error envelope; maps every Error (and any other exception, as 500) in one place;
// records metrics and writes one log line per request.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parley/async/await.hpp"
#include "parley/http/message.hpp"

namespace parley::http {

class Metrics;

using Handler = std::function<async::Task<Response>(Request&)>;

// The one place an exception becomes a response in the API's error envelope.
Response error_response(std::exception_ptr error, const Request& request);

class Router {
 public:
  // default_deadline: how long a handler may take before the client gets 503.
  explicit Router(Metrics& metrics, std::chrono::milliseconds default_deadline = std::chrono::seconds(30));

  // pattern segments in braces are parameters: "/api/v1/users/{id}". deadline 0 means the
  // router's default; kSelfBounded is for handlers that bound their own time (long polls), which
  // then cost no deadline timer while they wait.
  void add(std::string method, std::string pattern, Handler handler,
           std::chrono::milliseconds deadline = std::chrono::milliseconds(0));

  // Finds the route, runs the handler under its deadline, maps errors, logs and counts the
  // request. A handler still running at its deadline goes on in the background; the client gets
  // 503 unavailable at once.
  async::Task<Response> dispatch(Request& request) const;

  static constexpr std::chrono::milliseconds kSelfBounded{-1};

  // Answers the GET and HEAD requests whose path matches no route (the web app), unless it
  // returns nullopt (then the usual 404). Runs inline, without a deadline: it must not wait.
  // Its requests are counted and logged under route_label, never their path.
  using Fallback = std::function<std::optional<Response>(const Request&)>;
  void set_fallback(std::string route_label, Fallback fallback);

  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    std::chrono::milliseconds deadline;
  };
  const std::vector<Route>& routes() const { return routes_; }

 private:
  Metrics& metrics_;
  std::chrono::milliseconds default_deadline_;
  // True when the fallback answered the request (in response, or with error).
  bool try_fallback(const Request& request, Response& response, std::exception_ptr& error) const;

  std::vector<Route> routes_;
  std::string fallback_label_;
  Fallback fallback_;
};

}  // namespace parley::http
