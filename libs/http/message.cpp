#include "parley/http/message.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "parley/core/error.hpp"
#include "parley/core/json.hpp"
#include "parley/core/text.hpp"

namespace parley::http {

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

const std::string& Request::param(std::string_view name) const {
  static const std::string empty;
  auto it = params.find(name);
  return it == params.end() ? empty : it->second;
}

boost::json::object Request::json_body() const {
  std::string type = text::ascii_lower(header("content-type"));
  auto semi = type.find(';');
  std::string media = text::trim(type.substr(0, semi));
  if (media != "application/json")
    throw Error::unsupported_media_type("Content-Type must be application/json");
  return json::parse_object(body);
}

Response Response::json(int status, const boost::json::value& body) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

}  // namespace parley::http
