#include <filesystem>

#include "database_contract_test.hpp"
#include "parley/storage/sqlite_database.hpp"

namespace parley::storage {
namespace {

DatabaseFactory sqlite() {
  return [] {
    static int n = 0;
    auto dir = std::filesystem::temp_directory_path() / ("parley-sqlite-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto path = (dir / ("db" + std::to_string(++n) + ".db")).string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return open_sqlite({.path = path, .synchronous_full = false});
  };
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DatabaseContract, ::testing::Values(sqlite()), [](const auto&) { return "sqlite"; });

}  // namespace
}  // namespace parley::storage
