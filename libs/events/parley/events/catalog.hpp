#pragma once
// The event catalog: every event type Parley publishes, one struct each, with its type name (the
// routing key), the version of its data, the service that publishes it, and its fields. Events
// are made from these structs and read back into them by the one serializer and the one parser
// below; producers add them to the outbox (Outbox::add), consumers receive them typed
// (dispatcher.hpp). api/asyncapi.yaml documents the same types, and tests/api/asyncapi.test.mjs
// holds the two together (through the parley-events-catalog executable, which prints describe()).
//
// Fields: a plain member is required; a std::optional member may be absent (it is left out when
// empty, never written as null). Field types: std::string, std::int64_t, bool, and std::vector /
// std::array of those. Every member must be listed in the struct's BOOST_DESCRIBE_STRUCT (checked
// at compile time). Producers fill events with designated initializers
// (events::ContactAccepted{.request_id = …}): with -Wextra, a field left out does not compile.
//
// Versions: adding an optional field keeps the version (older consumers ignore fields they do not
// know). Adding a required field, removing or renaming one, or changing a field's meaning gives a
// new version. A consumer reads the versions from its struct's kMinVersion (when it declares one;
// kVersion otherwise) to kVersion, and refuses the others (MalformedEvent): a newer one, and an
// older one its struct can no longer read. So upgrade the consumers before the producer, and keep
// kMinVersion at the older version whenever the new struct still reads the old data (a field made
// optional, say); where it cannot, raise kMinVersion and upgrade with the queues drained (stop the
// producer, let its outbox and the consumers' queues empty, then upgrade every service).
//
// To add an event type: a struct here, listed in AllEvents; a sample in catalog_samples.cpp; a
// channel, message and schema in api/asyncapi.yaml; a row in topology.cpp for each service that
// consumes it durably.

#include <array>
#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <boost/pfr/core.hpp>
#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "parley/events/event.hpp"

namespace parley::events {

// ----------------------------------------------------------------------------------------------
// auth

struct UserRegistered {
  static constexpr std::string_view kType = "user.registered";
  static constexpr std::string_view kProducer = "auth";
  static constexpr int kVersion = 1;
  std::string user_id;
  std::string username;  // lower-cased
  std::string email;
  std::string display_name;
  std::string created_at;  // RFC 3339
};
BOOST_DESCRIBE_STRUCT(UserRegistered, (), (user_id, username, email, display_name, created_at))

struct UserDeleted {
  static constexpr std::string_view kType = "user.deleted";
  static constexpr std::string_view kProducer = "auth";
  static constexpr int kVersion = 1;
  std::string user_id;
  std::string username;  // free to be registered again
};
BOOST_DESCRIBE_STRUCT(UserDeleted, (), (user_id, username))

struct SessionRevoked {
  static constexpr std::string_view kType = "session.revoked";
  static constexpr std::string_view kProducer = "auth";
  static constexpr int kVersion = 1;
  std::string session_id;
  std::string user_id;
  // logout, revoked, password_changed or refresh_token_reuse. Auth always sends it; optional
  // because a verifier needs only the ids to refuse the session's tokens.
  std::optional<std::string> reason;
};
BOOST_DESCRIBE_STRUCT(SessionRevoked, (), (session_id, user_id, reason))

struct SecurityNewLogin {
  static constexpr std::string_view kType = "security.new_login";
  static constexpr std::string_view kProducer = "auth";
  static constexpr int kVersion = 1;
  std::string user_id;
  std::string ip;          // as the server saw it
  std::string user_agent;  // printable ASCII, at most 256; empty when none was sent
  std::string occurred_at;
};
BOOST_DESCRIBE_STRUCT(SecurityNewLogin, (), (user_id, ip, user_agent, occurred_at))

// ----------------------------------------------------------------------------------------------
// users

// The whole profile after the change.
struct UserProfileUpdated {
  static constexpr std::string_view kType = "user.profile_updated";
  static constexpr std::string_view kProducer = "users";
  static constexpr int kVersion = 1;
  std::string user_id;
  std::string username;
  std::string display_name;
  std::string bio;
  std::string dm_policy;  // everyone or contacts
  std::string created_at;
};
BOOST_DESCRIBE_STRUCT(UserProfileUpdated, (),
                      (user_id, username, display_name, bio, dm_policy, created_at))

// ----------------------------------------------------------------------------------------------
// contacts

struct ContactRequested {
  static constexpr std::string_view kType = "contact.requested";
  static constexpr std::string_view kProducer = "contacts";
  static constexpr int kVersion = 1;
  std::string request_id;
  std::string from_user_id;
  std::string to_user_id;
  std::string created_at;
};
BOOST_DESCRIBE_STRUCT(ContactRequested, (), (request_id, from_user_id, to_user_id, created_at))

struct ContactAccepted {
  static constexpr std::string_view kType = "contact.accepted";
  static constexpr std::string_view kProducer = "contacts";
  static constexpr int kVersion = 1;
  std::string request_id;
  std::string from_user_id;  // who sent the request
  std::string to_user_id;    // who accepted it
  std::string since;
};
BOOST_DESCRIBE_STRUCT(ContactAccepted, (), (request_id, from_user_id, to_user_id, since))

struct ContactRemoved {
  static constexpr std::string_view kType = "contact.removed";
  static constexpr std::string_view kProducer = "contacts";
  static constexpr int kVersion = 1;
  std::string user_id;     // who removed the contact (or blocked)
  std::string contact_id;  // the other side
  std::string reason;      // removed or blocked
};
BOOST_DESCRIBE_STRUCT(ContactRemoved, (), (user_id, contact_id, reason))

struct BlockAdded {
  static constexpr std::string_view kType = "block.added";
  static constexpr std::string_view kProducer = "contacts";
  static constexpr int kVersion = 1;
  std::string blocker_id;
  std::string blocked_id;
};
BOOST_DESCRIBE_STRUCT(BlockAdded, (), (blocker_id, blocked_id))

struct BlockRemoved {
  static constexpr std::string_view kType = "block.removed";
  static constexpr std::string_view kProducer = "contacts";
  static constexpr int kVersion = 1;
  std::string blocker_id;
  std::string blocked_id;
};
BOOST_DESCRIBE_STRUCT(BlockRemoved, (), (blocker_id, blocked_id))

// ----------------------------------------------------------------------------------------------
// messages. The message events are their own payloads, not the HTTP API's Message (version 1
// carried that object; version 2 is flat, with what a consumer of messages needs: who wrote what
// where, for whom, and when).

struct MessageCreated {
  static constexpr std::string_view kType = "message.created";
  static constexpr std::string_view kProducer = "messages";
  static constexpr int kVersion = 2;
  std::string message_id;
  std::string conversation_id;
  std::string conversation_kind;  // direct or group
  std::int64_t seq;  // 1, 2, 3 … within the conversation (no default: a producer must set it)
  std::string sender_id;
  std::string body;
  std::string created_at;
  std::vector<std::string> member_ids;  // every member at the time, the sender included
};
BOOST_DESCRIBE_STRUCT(MessageCreated, (),
                      (message_id, conversation_id, conversation_kind, seq, sender_id, body,
                       created_at, member_ids))

struct MessageUpdated {
  static constexpr std::string_view kType = "message.updated";
  static constexpr std::string_view kProducer = "messages";
  static constexpr int kVersion = 2;
  std::string message_id;
  std::string conversation_id;
  std::int64_t seq;
  std::string sender_id;
  std::string body;  // the new body
  std::string created_at;
  std::string edited_at;
};
BOOST_DESCRIBE_STRUCT(MessageUpdated, (),
                      (message_id, conversation_id, seq, sender_id, body, created_at, edited_at))

// The message stays in the history as a tombstone; its body is gone, and so not carried.
struct MessageDeleted {
  static constexpr std::string_view kType = "message.deleted";
  static constexpr std::string_view kProducer = "messages";
  static constexpr int kVersion = 2;
  std::string message_id;
  std::string conversation_id;
  std::int64_t seq;
  std::string sender_id;
  std::string created_at;
  std::string deleted_by;  // the sender, or a group's owner or admin
};
BOOST_DESCRIBE_STRUCT(MessageDeleted, (),
                      (message_id, conversation_id, seq, sender_id, created_at, deleted_by))

struct ConversationCreated {
  static constexpr std::string_view kType = "conversation.created";
  static constexpr std::string_view kProducer = "messages";
  static constexpr int kVersion = 1;
  std::string conversation_id;
  std::string kind;                  // direct or group
  std::optional<std::string> title;  // groups only
  std::string created_by;
  std::vector<std::string> member_ids;
};
BOOST_DESCRIBE_STRUCT(ConversationCreated, (),
                      (conversation_id, kind, title, created_by, member_ids))

struct ConversationUpdated {
  static constexpr std::string_view kType = "conversation.updated";
  static constexpr std::string_view kProducer = "messages";
  static constexpr int kVersion = 1;
  std::string conversation_id;
  std::string title;  // the new title
  std::string updated_by;
};
BOOST_DESCRIBE_STRUCT(ConversationUpdated, (), (conversation_id, title, updated_by))

struct MemberAdded {
  static constexpr std::string_view kType = "member.added";
  static constexpr std::string_view kProducer = "messages";
  static constexpr int kVersion = 1;
  std::string conversation_id;
  std::string user_id;   // the new member
  std::string added_by;  // the new member themself when they joined with an invite code
};
BOOST_DESCRIBE_STRUCT(MemberAdded, (), (conversation_id, user_id, added_by))

struct MemberRemoved {
  static constexpr std::string_view kType = "member.removed";
  static constexpr std::string_view kProducer = "messages";
  static constexpr int kVersion = 1;
  std::string conversation_id;
  std::string user_id;     // the member who is gone
  std::string removed_by;  // the member themself when they left
};
BOOST_DESCRIBE_STRUCT(MemberRemoved, (), (conversation_id, user_id, removed_by))

// Between the replicas of the messages service (published on the bus directly, not through an
// outbox): the sync events a replica committed, so that the others answer their long polls from
// memory. Each payload and each audience is sent once however many events share it.
struct SyncWake {
  static constexpr std::string_view kType = "sync.wake";
  static constexpr std::string_view kProducer = "messages";
  static constexpr int kVersion = 1;
  std::string replica;                              // the sender, which skips its own
  std::string epoch;                                // the sync log's (one per database)
  std::vector<std::string> payloads;                // sync event payloads, serialized JSON
  std::vector<std::vector<std::string>> audiences;  // user ids each event is for
  // [gseq, index into payloads, index into audiences, stored at (Unix ms)]
  std::vector<std::array<std::int64_t, 4>> events;
};
BOOST_DESCRIBE_STRUCT(SyncWake, (), (replica, epoch, payloads, audiences, events))

// Every event type, in the order the catalog describes them.
using AllEvents =
    boost::mp11::mp_list<UserRegistered, UserDeleted, SessionRevoked, SecurityNewLogin,
                         UserProfileUpdated, ContactRequested, ContactAccepted, ContactRemoved,
                         BlockAdded, BlockRemoved, MessageCreated, MessageUpdated, MessageDeleted,
                         ConversationCreated, ConversationUpdated, MemberAdded, MemberRemoved,
                         SyncWake>;

// ----------------------------------------------------------------------------------------------
// The serializer, the parser and the description.

// An event whose data does not match its catalog type: a required field missing, a field of the
// wrong JSON type, a version this build does not read. Retrying cannot fix it: consumers
// dead-letter it at once, without applying any of it.
class MalformedEvent : public std::runtime_error {
 public:
  MalformedEvent(std::string type, std::string id, std::string field, std::string problem);
  const std::string& type() const { return type_; }
  const std::string& id() const { return id_; }
  // The field at fault ("to_user_id", "events[3][1]"), or "version" / "type".
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string type_, id_, field_, problem_;
};

// For a consumer whose effect needs a field to name something (an id): throws MalformedEvent
// when it is empty, so that the event is dead-lettered at once with nothing of it applied, rather
// than retried. event_id may be left empty where the handler does not have it (the bus logs it).
void require_non_empty(std::string_view type, std::string_view field, const std::string& value);

namespace detail {
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class E>
using Members = boost::describe::describe_members<E, boost::describe::mod_public>;
}  // namespace detail

// A struct the serializer and the parser take: a type name, a producer, a version and described
// fields. Outbox and dispatchers take the catalog's types (AllEvents) only, and types a test
// declares for itself (static constexpr bool kTestOnly = true).
template <class E>
concept DescribedEvent = std::is_aggregate_v<E> && boost::describe::has_describe_members<E>::value;
template <class E>
concept NamedEvent = requires {
  { E::kType } -> std::convertible_to<std::string_view>;
  { E::kProducer } -> std::convertible_to<std::string_view>;
  { E::kVersion } -> std::convertible_to<int>;
};
template <class E>
concept CatalogedEvent = boost::mp11::mp_contains<AllEvents, E>::value;
template <class E>
concept TestOnlyEvent = requires {
  requires E::kTestOnly;
};
template <class E>
concept AdmittedEvent = CatalogedEvent<E> || TestOnlyEvent<E>;
template <class E>
concept EventType = DescribedEvent<E> && NamedEvent<E> && AdmittedEvent<E>;

namespace detail {

// Each field type's JSON form. read() returns false and fills problem (and path, relative to the
// value: "[2]") when v is not a T.
template <class T>
struct Codec;

struct ReadError {
  std::string path;
  std::string problem;
};
std::string kind_name(const boost::json::value& v);
bool wrong(const boost::json::value& v, const char* expected, ReadError& error);

template <>
struct Codec<std::string> {
  static boost::json::value write(const std::string& v) { return boost::json::value(v); }
  static bool read(const boost::json::value& v, std::string& out, ReadError& error) {
    if (!v.is_string()) return wrong(v, "string", error);
    out.assign(v.get_string().data(), v.get_string().size());
    return true;
  }
  static boost::json::object schema() { return {{"type", "string"}}; }
};

template <>
struct Codec<std::int64_t> {
  static boost::json::value write(std::int64_t v) { return boost::json::value(v); }
  static bool read(const boost::json::value& v, std::int64_t& out, ReadError& error);
  static boost::json::object schema() { return {{"type", "integer"}}; }
};

template <>
struct Codec<bool> {
  static boost::json::value write(bool v) { return boost::json::value(v); }
  static bool read(const boost::json::value& v, bool& out, ReadError& error) {
    if (!v.is_bool()) return wrong(v, "boolean", error);
    out = v.get_bool();
    return true;
  }
  static boost::json::object schema() { return {{"type", "boolean"}}; }
};

template <class T>
struct Codec<std::vector<T>> {
  static boost::json::value write(const std::vector<T>& v) {
    boost::json::array a;
    a.reserve(v.size());
    for (const auto& x : v) a.push_back(Codec<T>::write(x));
    return a;
  }
  static bool read(const boost::json::value& v, std::vector<T>& out, ReadError& error) {
    if (!v.is_array()) return wrong(v, "array", error);
    const auto& a = v.get_array();
    out.clear();
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      T x{};
      if (!Codec<T>::read(a[i], x, error)) {
        error.path = "[" + std::to_string(i) + "]" + error.path;
        return false;
      }
      out.push_back(std::move(x));
    }
    return true;
  }
  static boost::json::object schema() { return {{"type", "array"}, {"items", Codec<T>::schema()}}; }
};

template <class T, std::size_t N>
struct Codec<std::array<T, N>> {
  static boost::json::value write(const std::array<T, N>& v) {
    boost::json::array a;
    a.reserve(N);
    for (const auto& x : v) a.push_back(Codec<T>::write(x));
    return a;
  }
  static bool read(const boost::json::value& v, std::array<T, N>& out, ReadError& error) {
    if (!v.is_array()) return wrong(v, "array", error);
    const auto& a = v.get_array();
    if (a.size() != N) {
      error.problem = "has " + std::to_string(a.size()) + " items, expected " + std::to_string(N);
      return false;
    }
    for (std::size_t i = 0; i < N; ++i)
      if (!Codec<T>::read(a[i], out[i], error)) {
        error.path = "[" + std::to_string(i) + "]" + error.path;
        return false;
      }
    return true;
  }
  static boost::json::object schema() {
    auto n = static_cast<std::int64_t>(N);
    return {{"type", "array"}, {"items", Codec<T>::schema()}, {"minItems", n}, {"maxItems", n}};
  }
};

// Throws MalformedEvent unless event is of type `type` and of a version in [min_version, version].
void check_envelope(const Event& event, std::string_view type, int min_version, int version);

template <class E>
constexpr int min_version() {
  if constexpr (requires { E::kMinVersion; })
    return E::kMinVersion;
  else
    return E::kVersion;
}

template <class E>
constexpr void check_described() {
  static_assert(boost::pfr::tuple_size_v<E> == boost::mp11::mp_size<Members<E>>::value,
                "every field of an event type must be listed in its BOOST_DESCRIBE_STRUCT");
}

}  // namespace detail

// The event's data: its fields as JSON, empty optional fields left out.
template <EventType E>
boost::json::object to_data(const E& event) {
  detail::check_described<E>();
  boost::json::object data;
  boost::mp11::mp_for_each<detail::Members<E>>([&](auto member) {
    const auto& field = event.*member.pointer;
    using T = std::remove_cvref_t<decltype(field)>;
    if constexpr (detail::IsOptional<T>::value) {
      if (field) data[member.name] = detail::Codec<typename T::value_type>::write(*field);
    } else {
      data[member.name] = detail::Codec<T>::write(field);
    }
  });
  return data;
}

// A new envelope (fresh id, now, its type's name, producer and version) around event's data.
template <EventType E>
Event make_event(const E& event) {
  Event e = Event::make(std::string(E::kType), std::string(E::kProducer), to_data(event));
  e.version = E::kVersion;
  return e;
}

// Reads event's data as an E. Fields it does not know are ignored (a newer producer may add
// optional ones); an optional field that is null counts as absent. Throws MalformedEvent naming
// the type, the event id and the field: a required field missing, a field of another JSON type
// (null included, for a required one), a version E does not read (see Versions above), or an
// event of another type.
template <EventType E>
E parse(const Event& event) {
  detail::check_described<E>();
  detail::check_envelope(event, E::kType, detail::min_version<E>(), E::kVersion);
  E out{};
  boost::mp11::mp_for_each<detail::Members<E>>([&](auto member) {
    auto& field = out.*member.pointer;
    using T = std::remove_cvref_t<decltype(field)>;
    const boost::json::value* v = event.data.if_contains(member.name);
    detail::ReadError error;
    if constexpr (detail::IsOptional<T>::value) {
      if (!v || v->is_null()) return;
      typename T::value_type x{};
      if (!detail::Codec<typename T::value_type>::read(*v, x, error))
        throw MalformedEvent(event.type, event.id, member.name + error.path, error.problem);
      field = std::move(x);
    } else {
      if (!v)
        throw MalformedEvent(event.type, event.id, member.name,
                             "missing (required " +
                                 std::string(detail::Codec<T>::schema().at("type").as_string()) +
                                 ")");
      if (!detail::Codec<T>::read(*v, field, error))
        throw MalformedEvent(event.type, event.id, member.name + error.path, error.problem);
    }
  });
  return out;
}

// What the catalog says of one type, for documentation and for the AsyncAPI test.
struct FieldInfo {
  std::string name;
  boost::json::object schema;  // JSON Schema of the value: {"type": "string"}, arrays with items
  bool required = true;
};
struct EventTypeInfo {
  std::string type;
  std::string producer;
  int version = 1;
  std::vector<FieldInfo> fields;  // in declaration order
};

template <EventType E>
EventTypeInfo describe() {
  detail::check_described<E>();
  EventTypeInfo info{std::string(E::kType), std::string(E::kProducer), E::kVersion, {}};
  boost::mp11::mp_for_each<detail::Members<E>>([&](auto member) {
    using T = std::remove_cvref_t<decltype(std::declval<E&>().*member.pointer)>;
    if constexpr (detail::IsOptional<T>::value)
      info.fields.push_back({member.name, detail::Codec<typename T::value_type>::schema(), false});
    else
      info.fields.push_back({member.name, detail::Codec<T>::schema(), true});
  });
  return info;
}

// Every type of AllEvents, in order.
std::vector<EventTypeInfo> describe_catalog();

// {"type", "producer", "version", "fields": [{"name", "schema", "required"}]}
boost::json::object to_json(const EventTypeInfo& info);

}  // namespace parley::events
