#include <filesystem>

#include "database_contract_test.hpp"
#include "parley/storage/sqlite_database.hpp"

namespace parley::storage {
namespace {

DatabaseFactory sqlite(bool durable) {
  return [durable] {
    static int n = 0;
    auto dir = std::filesystem::temp_directory_path() / ("parley-sqlite-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto path = (dir / ("db" + std::to_string(++n) + ".db")).string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    return open_sqlite({.path = path, .synchronous_full = durable});
  };
}

// Durable: commits are made durable by the writer's separate sync thread (see group_commit.hpp).
INSTANTIATE_TEST_SUITE_P(Sqlite, DatabaseContract, ::testing::Values(sqlite(false), sqlite(true)),
                         [](const auto& info) { return info.index == 0 ? "sqlite" : "sqlite_durable"; });

}  // namespace
}  // namespace parley::storage
