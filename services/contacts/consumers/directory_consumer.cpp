#include "consumers/directory_consumer.hpp"

#include "store/contacts_store.hpp"

namespace parley::contacts {

namespace {
void write_person(storage::Tx& tx, std::string_view type, Person p) {
  events::require_non_empty(type, "user_id", p.id);
  if (p.display_name.empty()) p.display_name = p.username;
  store::upsert_person(tx, p);
}
}  // namespace

events::Dispatcher directory_consumer() {
  events::Dispatcher d;
  d.on<events::UserRegistered>([](storage::Tx& tx, const events::UserRegistered& e) {
    write_person(tx, e.kType, Person{e.user_id, e.username, e.display_name, "", e.created_at});
  });
  d.on<events::UserProfileUpdated>([](storage::Tx& tx, const events::UserProfileUpdated& e) {
    write_person(tx, e.kType, Person{e.user_id, e.username, e.display_name, e.bio, e.created_at});
  });
  d.on<events::UserDeleted>([](storage::Tx& tx, const events::UserDeleted& e) {
    events::require_non_empty(e.kType, "user_id", e.user_id);
    store::erase_user(tx, e.user_id);
  });
  return d;
}

}  // namespace parley::contacts
