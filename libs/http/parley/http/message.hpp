#pragma once
// Plain request and response types: what handlers see. No Beast here.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

namespace parley::http {

// The connection a request came on, for handlers that wait (long polls): tells them when the
// client goes away, so that a poll whose client closed its connection does not keep its socket,
// coroutine and timer until its timeout. Used on the connection's own thread only.
class ClientWatch {
 public:
  virtual ~ClientWatch() = default;
  // Calls fn once if the client closes its connection while the request is handled (at once if
  // it already has). One fn at a time: a later call replaces it.
  virtual void watch(std::function<void()> fn) = 0;
  virtual bool gone() const = 0;
};

struct Request {
  std::string method;   // "GET", "POST", ...
  std::string target;   // as received: path and query
  std::string path;     // decoded path
  std::multimap<std::string, std::string> query;     // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote_ip;
  std::string request_id;
  std::map<std::string, std::string, std::less<>> params;  // path parameters from the route
  std::string route;  // the matched route pattern, e.g. "/api/v1/users/{id}"
  std::chrono::steady_clock::time_point deadline;
  ClientWatch* client = nullptr;  // set by the server while the request is handled

  // First header with this (lowercase) name, or empty.
  std::string_view header(std::string_view lowercase_name) const;
  std::optional<std::string> query_param(std::string_view name) const;
  const std::string& param(std::string_view name) const;
  // Parses the body as a JSON object: 415 unless the content type is application/json,
  // 400 malformed_json for bad JSON.
  boost::json::object json_body() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static Response json(int status, const boost::json::value& body);
  static Response no_content();
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

}  // namespace parley::http
