#include "parley/events/catalog_samples.hpp"

namespace parley::events {

namespace {
constexpr const char* kAlice = "0190a1b2-0001-7000-8000-00000000a11c";
constexpr const char* kBob = "0190a1b2-0002-7000-8000-000000000b0b";
constexpr const char* kCarol = "0190a1b2-0003-7000-8000-0000000ca201";
constexpr const char* kSession = "0190a1b2-0004-7000-8000-000000005e55";
constexpr const char* kRequest = "0190a1b2-0005-7000-8000-00000000e0e5";
constexpr const char* kConversation = "0190a1b2-0006-7000-8000-00000000c0c0";
constexpr const char* kMessage = "0190a1b2-0007-7000-8000-00000000a5a5";
constexpr const char* kAt = "2025-01-02T03:04:05.678Z";
constexpr const char* kLater = "2025-01-02T03:14:15.926Z";
}  // namespace

const Samples& samples() {
  static const Samples all{
      UserRegistered{kAlice, "alice", "alice@example.com", "Alice", kAt},
      UserDeleted{kAlice, "alice"},
      SessionRevoked{kSession, kAlice, "logout"},
      SecurityNewLogin{kAlice, "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64)", kAt},
      UserProfileUpdated{kAlice, "alice", "Alice A.", "Hello there", "contacts", kAt},
      ContactRequested{kRequest, kAlice, kBob, kAt},
      ContactAccepted{kRequest, kAlice, kBob, kLater},
      ContactRemoved{kAlice, kBob, "removed"},
      BlockAdded{kAlice, kBob},
      BlockRemoved{kAlice, kBob},
      MessageCreated{kMessage,
                     kConversation,
                     "group",
                     42,
                     kAlice,
                     "See you at noon",
                     kAt,
                     {kAlice, kBob, kCarol}},
      MessageUpdated{kMessage, kConversation, 42, kAlice, "See you at one", kAt, kLater},
      MessageDeleted{kMessage, kConversation, 42, kAlice, kAt, kBob},
      ConversationCreated{kConversation, "group", "Lunch", kAlice, {kAlice, kBob, kCarol}},
      ConversationUpdated{kConversation, "Lunch on Friday", kBob},
      MemberAdded{kConversation, kCarol, kAlice},
      MemberRemoved{kConversation, kCarol, kCarol},
      SyncWake{"0190a1b2-0008-7000-8000-0000000e0e01",
               "0190a1b2-0009-7000-8000-0000000e90c4",
               {R"({"type":"message.created","conversation_id":"c"})"},
               {{kAlice, kBob, kCarol}},
               {{{1001, 0, 0, 1735787045678}}}},
  };
  return all;
}

}  // namespace parley::events
