#pragma once
// The life of a Parley process: the all-in-one hosts every service, parley-<name> hosts one.

#include <memory>
#include <vector>

#include "parley/service/service.hpp"

namespace parley::service {

using Factory = std::unique_ptr<Service> (*)(Context&);

// Reads the settings (README's table), opens each service's own database (SQLite files under
// PARLEY_DATA_DIR, or MySQL/MariaDB when PARLEY_DATABASE_URL is set), connects the bus (in-process,
// or RabbitMQ when PARLEY_AMQP_URL is set), serves HTTP on PARLEY_LISTEN until SIGTERM/SIGINT, and
// stops cleanly. Returns the process exit status (2 for a bad setting).
int run_host(const std::vector<Factory>& factories);

}  // namespace parley::service
