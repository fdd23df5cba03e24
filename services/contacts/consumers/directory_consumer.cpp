#include "consumers/directory_consumer.hpp"

#include <stdexcept>

#include "store/contacts_store.hpp"

namespace parley::contacts {

namespace {
void write_person(storage::Tx& tx, Person p) {
  if (p.id.empty()) throw std::invalid_argument("a user event with an empty user_id");
  if (p.display_name.empty()) p.display_name = p.username;
  store::upsert_person(tx, p);
}
}  // namespace

events::Dispatcher directory_consumer() {
  events::Dispatcher d;
  d.on<events::UserRegistered>([](storage::Tx& tx, const events::UserRegistered& e) {
    write_person(tx, Person{e.user_id, e.username, e.display_name, "", e.created_at});
  });
  d.on<events::UserProfileUpdated>([](storage::Tx& tx, const events::UserProfileUpdated& e) {
    write_person(tx, Person{e.user_id, e.username, e.display_name, e.bio, e.created_at});
  });
  d.on<events::UserDeleted>([](storage::Tx& tx, const events::UserDeleted& e) {
    if (e.user_id.empty()) throw std::invalid_argument("user.deleted with an empty user_id");
    store::erase_user(tx, e.user_id);
  });
  return d;
}

}  // namespace parley::contacts
