#include "parley/events/catalog.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <functional>
#include <map>
#include <set>

#include "parley/events/catalog_samples.hpp"

namespace parley::events {
namespace {

namespace bj = boost::json;

// Each catalog type's parser, by type name, answering with the data it read (serialized again).
using Reader = std::function<bj::object(const Event&)>;
const std::map<std::string, Reader>& readers() {
  static const auto all = [] {
    std::map<std::string, Reader> m;
    boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, AllEvents>>(
        [&](auto identity) {
          using E = typename decltype(identity)::type;
          m[std::string(E::kType)] = [](const Event& e) { return to_data(parse<E>(e)); };
        });
    return m;
  }();
  return all;
}

// A sample event of each type, as a consumer receives it (serialized and parsed again).
std::vector<Event> sample_events() {
  std::vector<Event> out;
  boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, AllEvents>>(
      [&](auto identity) {
        using E = typename decltype(identity)::type;
        out.push_back(Event::from_json(make_event(sample<E>()).to_json()));
      });
  return out;
}

// The MalformedEvent reading e throws, or a failure.
std::optional<MalformedEvent> refusal(const Event& e) {
  try {
    readers().at(e.type)(e);
  } catch (const MalformedEvent& m) {
    return m;
  }
  ADD_FAILURE() << e.type << " accepted: " << bj::serialize(e.data);
  return std::nullopt;
}

TEST(Catalog, HasEveryEventTypeOnceWithItsProducer) {
  std::map<std::string, std::string> expected{
      {"user.registered", "auth"},          {"user.deleted", "auth"},
      {"session.revoked", "auth"},          {"security.new_login", "auth"},
      {"user.profile_updated", "users"},    {"contact.requested", "contacts"},
      {"contact.accepted", "contacts"},     {"contact.removed", "contacts"},
      {"block.added", "contacts"},          {"block.removed", "contacts"},
      {"message.created", "messages"},      {"message.updated", "messages"},
      {"message.deleted", "messages"},      {"conversation.created", "messages"},
      {"conversation.updated", "messages"}, {"member.added", "messages"},
      {"member.removed", "messages"},       {"sync.wake", "messages"},
  };
  std::map<std::string, std::string> found;
  for (const auto& info : describe_catalog()) {
    EXPECT_TRUE(found.emplace(info.type, info.producer).second) << info.type << " twice";
    EXPECT_GE(info.version, 1) << info.type;
    EXPECT_FALSE(info.fields.empty()) << info.type;
  }
  EXPECT_EQ(found, expected);
}

TEST(Catalog, EveryTypeRoundTripsThroughItsEnvelope) {
  std::size_t n = 0;
  boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, AllEvents>>(
      [&](auto identity) {
        using E = typename decltype(identity)::type;
        Event made = make_event(sample<E>());
        EXPECT_EQ(made.type, E::kType);
        EXPECT_EQ(made.producer, E::kProducer);
        EXPECT_EQ(made.version, E::kVersion);
        Event received = Event::from_json(made.to_json());
        EXPECT_EQ(received.version, E::kVersion);
        E parsed = parse<E>(received);
        EXPECT_EQ(to_data(parsed), to_data(sample<E>())) << E::kType;
        // Every field of the sample is set, so every field made the trip.
        EXPECT_EQ(made.data.size(), describe<E>().fields.size()) << E::kType;
        ++n;
      });
  EXPECT_EQ(n, describe_catalog().size());
}

TEST(Catalog, AnEventMissingARequiredFieldIsRefusedNamingIt) {
  std::size_t cases = 0;
  for (const auto& info : describe_catalog()) {
    for (const auto& field : info.fields) {
      if (!field.required) continue;
      ++cases;
      for (Event e : sample_events()) {
        if (e.type != info.type) continue;
        e.data.erase(field.name);
        auto m = refusal(e);
        if (!m) continue;
        EXPECT_EQ(m->type(), info.type);
        EXPECT_EQ(m->id(), e.id);
        EXPECT_EQ(m->field(), field.name);
        EXPECT_NE(std::string(m->what()).find(field.name), std::string::npos) << m->what();
        EXPECT_NE(std::string(m->what()).find(e.id), std::string::npos) << m->what();
        EXPECT_NE(m->problem().find("missing"), std::string::npos) << m->what();
      }
    }
  }
  EXPECT_GT(cases, 50u);
}

TEST(Catalog, AFieldOfTheWrongJsonTypeIsRefusedNamingIt) {
  for (const auto& info : describe_catalog()) {
    for (const auto& field : info.fields) {
      bool is_string = field.schema.at("type").as_string() == "string";
      // Another JSON type than the field's, and null, which no required field takes (an optional
      // one reads it as absent: see OptionalFieldsMayBeAbsentOrNullAndAreLeftOutWhenEmpty).
      std::vector<bj::value> wrongs{is_string ? bj::value(42) : bj::value("42"), bj::value(bj::object{})};
      if (field.required) wrongs.emplace_back(nullptr);
      for (const bj::value& wrong : wrongs) {
        for (Event e : sample_events()) {
          if (e.type != info.type) continue;
          e.data[field.name] = wrong;
          auto m = refusal(e);
          if (!m) continue;
          EXPECT_EQ(m->field(), field.name);
          EXPECT_NE(
              m->problem().find("expected " + std::string(field.schema.at("type").as_string())),
              std::string::npos)
              << m->what();
        }
      }
    }
  }
}

TEST(Catalog, NestedValuesAreCheckedToo) {
  struct Case {
    std::string what;
    std::function<void(bj::object&)> spoil;
    std::string field;
  };
  std::vector<Case> cases{
      {"a member id that is a number", [](bj::object& d) { d.at("member_ids").as_array()[1] = 7; },
       "member_ids[1]"},
      {"a wake-up row with a text index",
       [](bj::object& d) { d.at("events").as_array()[0].as_array()[1] = "0"; }, "events[0][1]"},
      {"a wake-up row of three",
       [](bj::object& d) { d.at("events").as_array()[0].as_array().pop_back(); }, "events[0]"},
      {"an audience that is not a list",
       [](bj::object& d) { d.at("audiences").as_array()[0] = "u"; }, "audiences[0]"},
      {"a seq past int64", [](bj::object& d) { d.at("seq") = std::uint64_t{1} << 63; }, "seq"},
      {"a fractional seq", [](bj::object& d) { d.at("seq") = 1.5; }, "seq"},
  };
  for (const auto& c : cases) {
    bool tried = false;
    for (Event e : sample_events()) {
      bj::object data = e.data;
      try {
        c.spoil(data);
      } catch (const std::exception&) {
        continue;  // not this type's shape
      }
      if (data == e.data) continue;
      e.data = data;
      tried = true;
      auto m = refusal(e);
      if (m) {
        EXPECT_EQ(m->field(), c.field) << c.what << ": " << m->what();
      }
    }
    EXPECT_TRUE(tried) << c.what;
  }
}

TEST(Catalog, OptionalFieldsMayBeAbsentOrNullAndAreLeftOutWhenEmpty) {
  std::size_t optional = 0;
  for (const auto& info : describe_catalog())
    for (const auto& field : info.fields) {
      if (field.required) continue;
      ++optional;
      for (Event e : sample_events()) {
        if (e.type != info.type) continue;
        e.data.erase(field.name);
        bj::object read = readers().at(e.type)(e);
        EXPECT_FALSE(read.contains(field.name)) << info.type << "." << field.name;
        EXPECT_EQ(read, e.data);
        e.data[field.name] = nullptr;  // as a producer in another language may write it
        EXPECT_EQ(readers().at(e.type)(e), read) << info.type << "." << field.name << ": null";
      }
    }
  EXPECT_GE(optional, 2u);  // session.revoked's reason, conversation.created's title
  ConversationCreated direct{"c1", "direct", std::nullopt, "u1", {"u1", "u2"}};
  EXPECT_FALSE(to_data(direct).contains("title"));
}

// A type whose version 2 still reads version 1's data (kMinVersion), as the catalog's notes on
// versions ask of a change a struct can still read.
struct RenamedThing {
  static constexpr std::string_view kType = "thing.renamed";
  static constexpr std::string_view kProducer = "test";
  static constexpr int kVersion = 2;
  static constexpr int kMinVersion = 1;
  static constexpr bool kTestOnly = true;
  std::string thing_id;
  std::optional<std::string> title;  // version 1 required it
};
BOOST_DESCRIBE_STRUCT(RenamedThing, (), (thing_id, title))

TEST(Catalog, ReadsTheVersionsFromItsMinimumToItsOwn) {
  Event e = make_event(RenamedThing{.thing_id = "t1", .title = "x"});
  EXPECT_EQ(e.version, 2);
  for (int version : {1, 2}) {
    e.version = version;
    EXPECT_EQ(parse<RenamedThing>(e).thing_id, "t1") << "version " << version;
  }
  for (int version : {0, 3}) {
    e.version = version;
    try {
      parse<RenamedThing>(e);
      ADD_FAILURE() << "version " << version << " read";
    } catch (const MalformedEvent& m) {
      EXPECT_EQ(m.field(), "version");
    }
  }
}

TEST(Catalog, FieldsItDoesNotKnowAreIgnored) {
  for (Event e : sample_events()) {
    bj::object before = readers().at(e.type)(e);
    e.data["added_by_a_newer_producer"] = bj::object{{"x", 1}};
    EXPECT_EQ(readers().at(e.type)(e), before) << e.type;
  }
}

TEST(Catalog, RefusesOtherVersionsAndOtherTypes) {
  for (Event e : sample_events()) {
    int mine = e.version;
    for (int version : {mine + 1, mine - 1}) {
      e.version = version;
      auto m = refusal(e);
      if (!m) continue;
      EXPECT_EQ(m->field(), "version") << m->what();
      EXPECT_NE(m->problem().find(version > mine ? "newer" : "older"), std::string::npos)
          << m->what();
    }
  }
  Event registered = make_event(sample<UserRegistered>());
  try {
    parse<UserDeleted>(registered);
    FAIL() << "a user.registered read as user.deleted";
  } catch (const MalformedEvent& m) {
    EXPECT_EQ(m.field(), "type");
  }
}

TEST(Catalog, MessageEventsCarryTheirOwnFieldsNotTheHttpMessage) {
  std::map<std::string, std::set<std::string>> expected{
      {"message.created",
       {"message_id", "conversation_id", "conversation_kind", "seq", "sender_id", "body",
        "created_at", "member_ids"}},
      {"message.updated",
       {"message_id", "conversation_id", "seq", "sender_id", "body", "created_at", "edited_at"}},
      {"message.deleted",
       {"message_id", "conversation_id", "seq", "sender_id", "created_at", "deleted_by"}},
  };
  for (const auto& info : describe_catalog()) {
    auto it = expected.find(info.type);
    if (it == expected.end()) continue;
    std::set<std::string> names;
    for (const auto& f : info.fields) {
      names.insert(f.name);
      EXPECT_TRUE(f.required) << info.type << "." << f.name;
    }
    EXPECT_EQ(names, it->second) << info.type;
    EXPECT_EQ(info.version, 2) << info.type << ": version 1 carried the HTTP Message object";
  }
}

TEST(Catalog, DescribesFieldsAsJsonSchema) {
  auto wake = describe<SyncWake>();
  ASSERT_EQ(wake.fields.size(), 5u);
  EXPECT_EQ(wake.fields[4].name, "events");
  EXPECT_EQ(
      bj::serialize(wake.fields[4].schema),
      R"({"type":"array","items":{"type":"array","items":{"type":"integer"},"minItems":4,"maxItems":4}})");
  auto revoked = to_json(describe<SessionRevoked>());
  EXPECT_EQ(bj::serialize(revoked),
            R"({"type":"session.revoked","producer":"auth","version":1,"fields":[)"
            R"({"name":"session_id","schema":{"type":"string"},"required":true},)"
            R"({"name":"user_id","schema":{"type":"string"},"required":true},)"
            R"({"name":"reason","schema":{"type":"string"},"required":false}]})");
}

}  // namespace
}  // namespace parley::events
