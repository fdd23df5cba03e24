#include "parley/storage/sqlite_database.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "parley/async/run_blocking.hpp"

namespace parley::storage {
namespace {

std::string temp_db(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("parley-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  return path.string();
}

const std::vector<Migration> kMigrations = {
    {1, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);", ""},
    {2, "ALTER TABLE t ADD COLUMN note TEXT;", ""},
};

TEST(Sqlite, MigratesOnceAndBindsParametersLiterally) {
  auto path = temp_db("a.db");
  {
    auto db = open_sqlite({.path = path});
    db->migrate(kMigrations);
    db->write_sync([](Tx& tx) {
      tx.exec("INSERT INTO t (name, note) VALUES (?, ?)", {std::string("x'); DROP TABLE t;--"), nullptr});
    });
  }
  auto db = open_sqlite({.path = path});
  db->migrate(kMigrations);  // already applied: no error, no change
  db->read_sync([](Tx& tx) {
    auto rows = tx.query("SELECT name, note FROM t");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].text(0), "x'); DROP TABLE t;--");
    EXPECT_TRUE(rows[0].is_null(1));
  });
}

TEST(Sqlite, FailingWriteRollsBackOnlyItselfInAGroup) {
  auto db = open_sqlite({.path = temp_db("b.db"), .synchronous_full = false});
  db->migrate(kMigrations);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&, i] {
      try {
        db->write_sync([&](Tx& tx) {
          tx.exec("INSERT INTO t (name) VALUES (?)", {"n" + std::to_string(i)});
          if (i % 4 == 0) throw std::runtime_error("refused");
        });
        ++ok;
      } catch (const std::runtime_error&) {
        ++failed;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 12);
  EXPECT_EQ(failed, 4);
  db->read_sync([](Tx& tx) { EXPECT_EQ(tx.query("SELECT COUNT(*) FROM t")[0].integer(0), 12); });
}

TEST(Sqlite, UniqueViolationIsTyped) {
  auto db = open_sqlite({.path = temp_db("c.db"), .synchronous_full = false});
  db->migrate(kMigrations);
  db->write_sync([](Tx& tx) { tx.exec("INSERT INTO t (name) VALUES ('a')"); });
  EXPECT_THROW(db->write_sync([](Tx& tx) { tx.exec("INSERT INTO t (name) VALUES ('a')"); }), ConstraintViolation);
}

TEST(Sqlite, AwaitableWritesAndReadsAndAfterCommitHooks) {
  auto db = open_sqlite({.path = temp_db("d.db"), .synchronous_full = false});
  db->migrate(kMigrations);
  bool hook_ran = false, rolled_back_hook = false;
  std::int64_t count = async::run_blocking([&]() -> async::Task<std::int64_t> {
    co_await db->write([&](Tx& tx) {
      tx.exec("INSERT INTO t (name) VALUES ('z')");
      tx.after_commit([&] { hook_ran = true; });
    });
    try {
      co_await db->write([&](Tx& tx) {
        tx.after_commit([&] { rolled_back_hook = true; });
        throw std::runtime_error("no");
      });
    } catch (const std::runtime_error&) {
    }
    std::int64_t n = 0;
    co_await db->read([&](Tx& tx) { n = tx.query("SELECT COUNT(*) FROM t")[0].integer(0); });
    co_return n;
  }());
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(hook_ran);
  EXPECT_FALSE(rolled_back_hook);
}

}  // namespace
}  // namespace parley::storage
