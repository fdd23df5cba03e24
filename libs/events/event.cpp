#include "parley/events/event.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

#include "parley/core/ids.hpp"
#include "parley/core/time.hpp"

namespace parley::events {

Event Event::make(std::string type, std::string producer, boost::json::object data) {
  Event e;
  e.id = ids::uuid_v7();
  e.type = std::move(type);
  e.occurred_at = time::format_rfc3339(time::now());
  e.producer = std::move(producer);
  e.data = std::move(data);
  return e;
}

std::string Event::to_json() const {
  return boost::json::serialize(boost::json::object{{"id", id},
                                                    {"type", type},
                                                    {"version", version},
                                                    {"occurred_at", occurred_at},
                                                    {"producer", producer},
                                                    {"data", data}});
}

Event Event::from_json(std::string_view text) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) throw std::invalid_argument("event is not a JSON object");
  const auto& o = value.as_object();
  auto str = [&](const char* key) -> std::string {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string())
      throw std::invalid_argument(std::string("event field ") + key + " missing");
    return std::string(it->value().as_string());
  };
  Event e;
  e.id = str("id");
  e.type = str("type");
  e.occurred_at = str("occurred_at");
  e.producer = str("producer");
  auto v = o.find("version");
  if (v == o.end() || !v->value().is_int64()) throw std::invalid_argument("event version missing");
  e.version = static_cast<int>(v->value().as_int64());
  auto d = o.find("data");
  if (d == o.end() || !d->value().is_object()) throw std::invalid_argument("event data missing");
  e.data = d->value().as_object();
  return e;
}

bool matches(std::string_view pattern, std::string_view type) {
  if (pattern == "#") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    auto prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return type.size() > prefix.size() && type.substr(0, prefix.size()) == prefix &&
           type.find('.', prefix.size()) == std::string_view::npos;
  }
  return pattern == type;
}

}  // namespace parley::events
