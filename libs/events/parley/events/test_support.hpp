#pragma once
// For tests of event consumers only (it uses GoogleTest's assertions).

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "parley/events/bus.hpp"
#include "parley/events/catalog.hpp"

namespace parley::events::testing {

// An event the catalog must refuse, and the field it must name.
struct Malformed {
  std::string type;
  boost::json::object data;
  std::string field;
};

// Hands each case to handler as an event and expects a MalformedEvent naming its field and the
// event's id.
inline void expect_each_refused(const EventHandler& handler, const std::vector<Malformed>& cases) {
  for (const auto& c : cases) {
    auto e = Event::make(c.type, "test", c.data);
    try {
      handler(e);
      ADD_FAILURE() << c.type << " accepted without a valid " << c.field;
    } catch (const MalformedEvent& m) {
      EXPECT_EQ(m.field(), c.field) << m.what();
      EXPECT_EQ(m.id(), e.id) << m.what();
    }
  }
}

}  // namespace parley::events::testing
