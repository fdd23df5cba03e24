#include "consumers/accounts_consumer.hpp"

#include "store/users_store.hpp"

namespace parley::users {

events::Dispatcher accounts_consumer() {
  events::Dispatcher d;
  d.on<events::UserRegistered>([](storage::Tx& tx, const events::UserRegistered& e) {
    events::require_non_empty(e.kType, "user_id", e.user_id);
    events::require_non_empty(e.kType, "username", e.username);
    Profile p;
    p.id = e.user_id;
    p.username = e.username;
    p.display_name = e.display_name.empty() ? e.username : e.display_name;
    p.created_at = e.created_at;
    store::insert(tx, p);
  });
  d.on<events::UserDeleted>(
      [](storage::Tx& tx, const events::UserDeleted& e) { store::remove(tx, e.user_id); });
  return d;
}

}  // namespace parley::users
