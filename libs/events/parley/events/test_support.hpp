#pragma once
// For tests of event consumers only (it uses GoogleTest's assertions).

#include <gtest/gtest.h>

#include <boost/describe/class.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parley/events/bus.hpp"
#include "parley/events/catalog.hpp"

// Event types of a test's own (the outbox and dispatchers take the catalog's types, and those a
// test declares: kTestOnly): PARLEY_TEST_EVENT(Name, "type") has one field, n, a number;
// PARLEY_EMPTY_TEST_EVENT(Name, "type") none. Both are produced by "test", version 1.
#define PARLEY_TEST_EVENT_NAMED(type)                      \
  static constexpr std::string_view kType = type;          \
  static constexpr std::string_view kProducer = "test";    \
  static constexpr int kVersion = 1;                       \
  static constexpr bool kTestOnly = true;
#define PARLEY_TEST_EVENT(Name, type) \
  struct Name {                       \
    PARLEY_TEST_EVENT_NAMED(type)     \
    std::int64_t n = 0;               \
  };                                  \
  BOOST_DESCRIBE_STRUCT(Name, (), (n))
#define PARLEY_EMPTY_TEST_EVENT(Name, type) \
  struct Name {                             \
    PARLEY_TEST_EVENT_NAMED(type)           \
  };                                        \
  BOOST_DESCRIBE_STRUCT(Name, (), ())

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
