#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
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

// A database file of its own for a test, with no WAL or shared-memory file left from an earlier run.
std::string fresh_database_path(const std::string& prefix) {
  auto dir = std::filesystem::temp_directory_path() / (prefix + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "wal.db").string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

// Under writes that never pause, the writer's next transaction always begins before a background
// checkpoint has caught up; the WAL must still start over now and then instead of growing.
TEST(Sqlite, TheWalStaysBoundedUnderWritesThatNeverPause) {
  auto path = fresh_database_path("parley-sqlite-wal-");
  auto db = open_sqlite({.path = path, .synchronous_full = true, .checkpoint_every_frames = 20,
                         .wal_restart_frames = 100});
  db->migrate({{1, "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", ""}});
  std::string body(3000, 'x');  // about a page per row
  testing::internal::CaptureStdout();  // the log
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
  // The writer's restart and the background checkpoint take turns; that is no failure to report
  // (an operator saw bursts of "checkpoint failed: database is locked" under every load).
  auto log = testing::internal::GetCapturedStdout();
  EXPECT_EQ(log.find("checkpoint"), std::string::npos) << log.substr(0, 2000);
}

// A read that lasts keeps the WAL from starting over. The writer must not wait for it (every
// write of the process would stand still for as long as the read, up to the busy timeout, after
// every commit); a WAL that goes on growing is worth one warning, not one per commit; once the
// read is done the WAL starts over.
TEST(Sqlite, AReadThatLastsNeitherStallsTheWriterNorStopsTheWalStartingOver) {
  auto path = fresh_database_path("parley-sqlite-held-");
  auto db = open_sqlite({.path = path, .synchronous_full = true, .busy_timeout_ms = 100,
                         .checkpoint_every_frames = 20, .wal_restart_frames = 100});
  db->migrate({{1, "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", ""}});
  std::string body(3000, 'x');  // about a page per row
  auto write_rows = [&](int from, int n) {
    for (int id = from; id < from + n; ++id)
      db->write_sync([&](Tx& tx) { tx.exec("INSERT INTO t (id, body) VALUES (?, ?)", {std::int64_t{id}, body}); });
  };
  write_rows(1, 10);
  testing::internal::CaptureStdout();  // the log
  std::promise<void> reading, done;
  auto reader = std::thread([&] {
    db->read_sync([&](Tx& tx) {
      tx.query("SELECT COUNT(*) FROM t");  // the read's snapshot is taken here and held
      reading.set_value();
      done.get_future().wait();
    });
  });
  reading.get_future().wait();
  auto t0 = std::chrono::steady_clock::now();
  write_rows(100, 300);  // well past 4 x 100 frames while the read holds the old WAL
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  done.set_value();
  reader.join();
  write_rows(1000, 20);
  auto wal_after_read = std::filesystem::file_size(path + "-wal");
  write_rows(2000, 200);  // written from the WAL's start again: the file does not grow
  auto log = testing::internal::GetCapturedStdout();
  // Waiting for the reader at each commit took 100 ms a commit (30 s for these 300).
  EXPECT_LT(seconds, 10.0);
  std::size_t warnings = 0;
  for (auto at = log.find("WAL keeps growing"); at != std::string::npos; at = log.find("WAL keeps growing", at + 1))
    ++warnings;
  EXPECT_EQ(warnings, 1u) << log.substr(0, 2000);
  EXPECT_EQ(log.find("checkpoint (restart) failed"), std::string::npos) << log.substr(0, 2000);
  EXPECT_LE(std::filesystem::file_size(path + "-wal"), wal_after_read);
  std::int64_t rows = 0;
  db->read_sync([&](Tx& tx) { rows = tx.query("SELECT COUNT(*) FROM t")[0].integer(0); });
  EXPECT_EQ(rows, 530);
}

}  // namespace
}  // namespace parley::storage
