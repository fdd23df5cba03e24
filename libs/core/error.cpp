#include "parley/core/error.hpp"

#include <boost/json/serialize.hpp>

namespace parley {

Error::Error(int status, std::string code, std::string message, boost::json::object details,
             std::string log_message)
    : std::runtime_error(code + ": " + message),
      status_(status),
      code_(std::move(code)),
      message_(std::move(message)),
      details_(std::move(details)),
      log_message_(std::move(log_message)) {}

std::string Error::envelope() const {
  boost::json::object inner{{"code", code_}, {"message", message_}};
  if (!details_.empty()) inner["details"] = details_;
  return boost::json::serialize(boost::json::object{{"error", std::move(inner)}});
}

Error Error::invalid_argument(std::string message, std::string field) {
  boost::json::object details;
  if (!field.empty()) details["field"] = field;
  return Error(400, "invalid_argument", std::move(message), std::move(details));
}
Error Error::malformed_json(std::string message) {
  return Error(400, "malformed_json", std::move(message));
}
Error Error::unauthenticated(std::string message) {
  return Error(401, "unauthenticated", std::move(message));
}
Error Error::invalid_credentials() {
  return Error(401, "invalid_credentials", "wrong login or password");
}
Error Error::permission_denied(std::string message) {
  return Error(403, "permission_denied", std::move(message));
}
Error Error::not_found(std::string message) { return Error(404, "not_found", std::move(message)); }
Error Error::conflict(std::string code, std::string message) {
  return Error(409, std::move(code), std::move(message));
}
Error Error::gone(std::string code, std::string message) {
  return Error(410, std::move(code), std::move(message));
}
Error Error::payload_too_large(std::string message) {
  return Error(413, "payload_too_large", std::move(message));
}
Error Error::unsupported_media_type(std::string message) {
  return Error(415, "unsupported_media_type", std::move(message));
}
Error Error::rate_limited(long long retry_after_ms) {
  return Error(429, "rate_limited", "too many attempts, try again later",
               boost::json::object{{"retry_after_ms", retry_after_ms}});
}
Error Error::internal(std::string log_message) {
  return Error(500, "internal", "internal server error", {}, std::move(log_message));
}
Error Error::unavailable(std::string message) {
  return Error(503, "unavailable", std::move(message));
}

}  // namespace parley
