// parley-users: the users service alone, for the distributed stack (see run.hpp for its settings).

#include "users/service.hpp"
#include "parley/service/run.hpp"

int main() { return parley::service::run_host({parley::users::make_service}); }
