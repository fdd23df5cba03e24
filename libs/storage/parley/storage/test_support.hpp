#pragma once
// For tests only: a SQLite database of its own for a test, under the temporary directory.

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include "parley/storage/sqlite_database.hpp"

namespace parley::storage::testing {

// The path of a database file named name in this process's folder for group
// (<tmp>/parley-<group>-<pid>/), with no file of an earlier run left there (nor its -wal, -shm).
inline std::string fresh_sqlite_path(const std::string& group, const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("parley-" + group + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

// A new database there, not synced (durability is the contract tests' business), migrated.
inline std::unique_ptr<Database> open_fresh_sqlite(const std::string& group, const std::string& name,
                                                   const std::vector<Migration>& migrations = {}) {
  auto db = open_sqlite({.path = fresh_sqlite_path(group, name), .synchronous_full = false});
  if (!migrations.empty()) db->migrate(migrations);
  return db;
}

}  // namespace parley::storage::testing
