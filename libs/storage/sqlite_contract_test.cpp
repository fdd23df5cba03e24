#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

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

// Under writes that never pause, the writer's next transaction always begins before a background
// checkpoint has caught up; the WAL must still start over now and then instead of growing.
TEST(Sqlite, TheWalStaysBoundedUnderWritesThatNeverPause) {
  auto dir = std::filesystem::temp_directory_path() / ("parley-sqlite-wal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "wal.db").string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto db = open_sqlite({.path = path, .synchronous_full = true, .checkpoint_every_frames = 20,
                         .wal_restart_frames = 100});
  db->migrate({{1, "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", ""}});
  std::string body(3000, 'x');  // about a page per row
  std::vector<std::thread> writers;
  std::atomic<int> next{0};
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        int id = ++next;
        db->write_sync([&](Tx& tx) { tx.exec("INSERT INTO t (id, body) VALUES (?, ?)", {std::int64_t{id}, body}); });
      }
    });
  for (auto& t : writers) t.join();
  std::int64_t rows = 0;
  db->read_sync([&](Tx& tx) { rows = tx.query("SELECT COUNT(*) FROM t")[0].integer(0); });
  EXPECT_EQ(rows, 2000);
  // 2,000 pages written; without restarts the WAL would hold them all (over 8 MB).
  auto wal_bytes = std::filesystem::file_size(path + "-wal");
  EXPECT_LT(wal_bytes, 2u * 1024 * 1024) << "WAL is " << wal_bytes << " bytes";
}

}  // namespace
}  // namespace parley::storage
