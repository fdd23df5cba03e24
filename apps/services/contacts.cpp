// parley-contacts: the contacts service alone, for the distributed stack (see run.hpp for its settings).

#include "contacts/service.hpp"
#include "parley/service/run.hpp"

int main() { return parley::service::run_host({parley::contacts::make_service}); }
