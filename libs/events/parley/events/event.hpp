#pragma once
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace parley::events {

// The envelope every event travels in: {id, type, version, occurred_at, producer, data}.
struct Event {
  std::string id;           // UUIDv7, unique and time-ordered
  std::string type;         // routing key, e.g. "user.registered"
  int version = 1;          // schema version of data
  std::string occurred_at;  // RFC 3339
  std::string producer;     // the publishing service
  boost::json::object data;

  // An envelope around any data, for the buses and their tests. Services make their events from
  // the catalog's structs instead (make_event, Outbox::add in catalog.hpp and outbox.hpp).
  static Event make(std::string type, std::string producer, boost::json::object data);
  std::string to_json() const;
  // Throws std::invalid_argument for anything that is not a well-formed envelope.
  static Event from_json(std::string_view text);
};

// "user.*" matches "user.registered"; "#" matches everything; otherwise exact.
bool matches(std::string_view pattern, std::string_view type);

}  // namespace parley::events
