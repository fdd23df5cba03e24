#include "consumers/replica_consumer.hpp"

#include "store/people.hpp"

namespace parley::messages {

events::Dispatcher replica_consumer() {
  events::Dispatcher d;
  d.on<events::UserRegistered>([](storage::Tx& tx, const events::UserRegistered& e) {
    store::add_person(tx, e.user_id, e.username);
  });
  d.on<events::UserProfileUpdated>([](storage::Tx& tx, const events::UserProfileUpdated& e) {
    // Who may write to whom rests on it: anything else than the two policies is refused whole
    // (stored, an empty one would read as "everyone" and open a contacts-only account).
    if (e.dm_policy != "everyone" && e.dm_policy != "contacts")
      throw events::MalformedEvent(std::string(e.kType), "", "dm_policy",
                                   "is '" + e.dm_policy + "', neither everyone nor contacts");
    store::upsert_person(tx, e.user_id, e.username, e.dm_policy);
  });
  d.on<events::UserDeleted>(
      [](storage::Tx& tx, const events::UserDeleted& e) { store::erase_user(tx, e.user_id); });
  d.on<events::ContactAccepted>([](storage::Tx& tx, const events::ContactAccepted& e) {
    store::set_contacts(tx, e.from_user_id, e.to_user_id, true);
  });
  d.on<events::ContactRemoved>([](storage::Tx& tx, const events::ContactRemoved& e) {
    store::set_contacts(tx, e.user_id, e.contact_id, false);
  });
  d.on<events::BlockAdded>([](storage::Tx& tx, const events::BlockAdded& e) {
    store::set_block(tx, e.blocker_id, e.blocked_id, true);
  });
  d.on<events::BlockRemoved>([](storage::Tx& tx, const events::BlockRemoved& e) {
    store::set_block(tx, e.blocker_id, e.blocked_id, false);
  });
  return d;
}

}  // namespace parley::messages
