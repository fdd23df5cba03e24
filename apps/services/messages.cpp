// parley-messages: the messages service alone, for the distributed stack (see run.hpp for its settings).

#include "messages/service.hpp"
#include "parley/service/run.hpp"

int main() { return parley::service::run_host({parley::messages::make_service}); }
