// parley-events-catalog: prints the event catalog (libs/events/parley/events/catalog.hpp) as one
// JSON document, for tests/api/asyncapi.test.mjs and for people:
//   {"events": [{"type", "producer", "version", "fields": [{"name", "schema", "required"}],
//                "sample": <a whole event of that type, in its envelope>}]}

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "parley/events/catalog_samples.hpp"

int main() {
  using namespace parley::events;
  boost::json::array events;
  boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, AllEvents>>(
      [&](auto identity) {
        using E = typename decltype(identity)::type;
        boost::json::object entry = to_json(describe<E>());
        entry["sample"] = boost::json::parse(make_event(sample<E>()).to_json());
        events.push_back(std::move(entry));
      });
  std::cout << boost::json::serialize(boost::json::object{{"events", std::move(events)}}) << "\n";
  return 0;
}
