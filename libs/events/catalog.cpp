#include "parley/events/catalog.hpp"

#include <limits>
#include <set>

namespace parley::events {

namespace {
std::string message(const std::string& type, const std::string& id, const std::string& field,
                    const std::string& problem) {
  return "malformed " + (type.empty() ? std::string("event") : type + " event") + " " +
         (id.empty() ? std::string("(no id)") : id) + ": " + field + " " + problem;
}
}  // namespace

MalformedEvent::MalformedEvent(std::string type, std::string id, std::string field,
                               std::string problem)
    : std::runtime_error(message(type, id, field, problem)),
      type_(std::move(type)),
      id_(std::move(id)),
      field_(std::move(field)),
      problem_(std::move(problem)) {}

namespace detail {

std::string kind_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
      return "integer";
    case boost::json::kind::double_:
      return "number";
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::array:
      return "array";
    case boost::json::kind::object:
      return "object";
  }
  return "unknown";
}

bool wrong(const boost::json::value& v, const char* expected, ReadError& error) {
  error.problem = "is " + kind_name(v) + ", expected " + expected;
  return false;
}

bool Codec<std::int64_t>::read(const boost::json::value& v, std::int64_t& out, ReadError& error) {
  if (v.is_int64()) {
    out = v.get_int64();
    return true;
  }
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      error.problem = "is out of range";
      return false;
    }
    out = static_cast<std::int64_t>(v.get_uint64());
    return true;
  }
  return wrong(v, "integer", error);
}

void check_envelope(const Event& event, std::string_view type, int min_version, int version) {
  if (event.type != type)
    throw MalformedEvent(event.type, event.id, "type", "is not " + std::string(type));
  if (event.version > version)
    throw MalformedEvent(event.type, event.id, "version",
                         std::to_string(event.version) + " is newer than this build reads (" +
                             std::to_string(version) + ")");
  if (event.version < min_version)
    throw MalformedEvent(event.type, event.id, "version",
                         std::to_string(event.version) + " is older than this build reads (" +
                             std::to_string(min_version) + ")");
}

}  // namespace detail

void require_non_empty(std::string_view type, std::string_view field, const std::string& value) {
  if (value.empty()) throw MalformedEvent(std::string(type), "", std::string(field), "is empty");
}

std::vector<EventTypeInfo> describe_catalog() {
  std::vector<EventTypeInfo> all;
  std::set<std::string> seen;
  boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, AllEvents>>(
      [&](auto identity) {
        using E = typename decltype(identity)::type;
        all.push_back(describe<E>());
        if (!seen.insert(all.back().type).second)
          throw std::logic_error("event type " + all.back().type + " twice in the catalog");
      });
  return all;
}

boost::json::object to_json(const EventTypeInfo& info) {
  boost::json::array fields;
  for (const auto& f : info.fields)
    fields.push_back(
        boost::json::object{{"name", f.name}, {"schema", f.schema}, {"required", f.required}});
  return {{"type", info.type},
          {"producer", info.producer},
          {"version", info.version},
          {"fields", std::move(fields)}};
}

}  // namespace parley::events
