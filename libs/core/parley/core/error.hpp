#pragma once
// The one error type that reaches clients. Each error is typed by its meaning, carries a
// client-facing message and an optional separate log message, and maps to the API's error
// envelope in exactly one place (http::error_response).

#include <boost/json/object.hpp>

#include <stdexcept>
#include <string>

namespace parley {

class Error : public std::runtime_error {
 public:
  Error(int status, std::string code, std::string message, boost::json::object details = {},
        std::string log_message = {});

  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  const boost::json::object& details() const { return details_; }
  // Extra text for the server log only; never sent to the client.
  const std::string& log_message() const { return log_message_; }

  // The envelope body: {"error": {"code", "message", "details"?}}.
  std::string envelope() const;

  static Error invalid_argument(std::string message, std::string field = {});
  static Error malformed_json(std::string message);
  static Error unauthenticated(std::string message = "authentication required");
  static Error invalid_credentials();
  static Error permission_denied(std::string message = "permission denied");
  static Error not_found(std::string message = "not found");
  static Error conflict(std::string code, std::string message);
  static Error gone(std::string code, std::string message);
  static Error payload_too_large(std::string message = "request body too large");
  static Error unsupported_media_type(std::string message);
  static Error rate_limited(long long retry_after_ms);
  static Error internal(std::string log_message);
  static Error unavailable(std::string message = "service temporarily unavailable");

 private:
  int status_;
  std::string code_;
  std::string message_;
  boost::json::object details_;
  std::string log_message_;
};

// A dependency of the request (its database, the broker) failed or could not be reached: the same
// request may succeed later. A client gets 503 unavailable; what() goes to the server log only.
class DependencyFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace parley
