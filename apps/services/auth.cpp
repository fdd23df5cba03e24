// parley-auth: the auth service alone, for the distributed stack (see run.hpp for its settings).

#include "auth/service.hpp"
#include "parley/service/run.hpp"

int main() { return parley::service::run_host({parley::auth::make_service}); }
