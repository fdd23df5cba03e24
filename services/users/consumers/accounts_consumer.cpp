#include "consumers/accounts_consumer.hpp"

#include <stdexcept>

#include "store/users_store.hpp"

namespace parley::users {

events::Dispatcher accounts_consumer() {
  events::Dispatcher d;
  d.on<events::UserRegistered>([](storage::Tx& tx, const events::UserRegistered& e) {
    if (e.user_id.empty() || e.username.empty())
      throw std::invalid_argument("user.registered with an empty user_id or username");
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
