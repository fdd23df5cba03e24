#include "parley/events/topology.hpp"

#include <gtest/gtest.h>

#include <set>

#include "parley/events/event.hpp"

namespace parley::events {
namespace {

// The table the services subscribe with and the RabbitMQ publisher declares: one row per
// consuming service, each with its patterns, and every event type a service must hear about
// reaching it.
TEST(Topology, NamesEachConsumingServiceOnceWithWhatItHears) {
  struct Case {
    std::string consumer;
    std::vector<std::string> hears;    // event types it must receive
    std::vector<std::string> ignores;  // and some it must not
  };
  std::vector<Case> cases{
      {"users", {"user.registered", "user.deleted"}, {"message.created", "session.revoked"}},
      {"contacts",
       {"user.registered", "user.profile_updated", "user.deleted"},
       {"contact.accepted", "sync.wake"}},
      {"messages",
       {"user.registered", "user.profile_updated", "user.deleted", "contact.accepted",
        "contact.removed", "block.added", "block.removed"},
       {"message.created", "sync.wake", "session.revoked"}},
  };
  ASSERT_EQ(durable_consumers().size(), cases.size());
  std::set<std::string> names;
  for (const auto& row : durable_consumers()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name << " twice";
    EXPECT_FALSE(row.patterns.empty()) << row.name;
  }
  for (const auto& c : cases) {
    const auto& row = durable_consumer(c.consumer);
    auto heard = [&](const std::string& type) {
      for (const auto& p : row.patterns)
        if (matches(p, type)) return true;
      return false;
    };
    for (const auto& type : c.hears)
      EXPECT_TRUE(heard(type)) << c.consumer << " must hear " << type;
    for (const auto& type : c.ignores)
      EXPECT_FALSE(heard(type)) << c.consumer << " must not hear " << type;
  }
}

TEST(Topology, RefusesAConsumerItDoesNotName) {
  EXPECT_THROW(durable_consumer("verifier"), std::logic_error);
  EXPECT_EQ(durable_consumer("users").name, "users");
}

}  // namespace
}  // namespace parley::events
