// The all-in-one Parley: every service in one process, each with its own SQLite file under
// PARLEY_DATA_DIR, events on the in-process bus, the whole API on PARLEY_LISTEN.

#include "auth/service.hpp"
#include "contacts/service.hpp"
#include "messages/service.hpp"
#include "parley/service/run.hpp"
#include "users/service.hpp"

int main() {
  return parley::service::run_host({parley::auth::make_service, parley::users::make_service,
                                    parley::contacts::make_service, parley::messages::make_service});
}
