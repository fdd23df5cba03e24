#include "database_contract_test.hpp"

#include <atomic>
#include <future>
#include <optional>
#include <thread>

#include "parley/async/run_blocking.hpp"
#include "parley/storage/sql.hpp"

namespace parley::storage {
namespace {

const std::vector<Migration> kMigrations = {
    {1, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);",
     "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE) "
     "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"},
    {2, "ALTER TABLE t ADD COLUMN note TEXT;", "ALTER TABLE t ADD COLUMN note MEDIUMTEXT;"},
};

std::int64_t count(Database& db) {
  std::int64_t n = -1;
  db.read_sync([&](Tx& tx) { n = tx.query("SELECT COUNT(*) FROM t")[0].integer(0); });
  return n;
}

TEST_P(DatabaseContract, MigratesOnceAndBindsParametersLiterally) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  db->migrate(kMigrations);  // already applied: no error, no change
  const std::string hostile = "x'); DROP TABLE t;-- \xf0\x9f\x98\x80 \"quoted\" \\ back";
  std::string big(100'000, 'b');
  db->write_sync([&](Tx& tx) {
    tx.exec("INSERT INTO t (name, note) VALUES (?, ?)", {hostile, nullptr});
    tx.exec("INSERT INTO t (name, note) VALUES (?, ?)", {std::string("big"), big});
  });
  db->read_sync([&](Tx& tx) {
    auto rows = tx.query("SELECT name, note FROM t WHERE name = ?", {hostile});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].text(0), hostile);
    EXPECT_TRUE(rows[0].is_null(1));
    EXPECT_EQ(tx.query("SELECT note FROM t WHERE name = ?", {std::string("big")})[0].text(0), big);
    EXPECT_EQ(tx.query("SELECT id FROM t WHERE name = ?", {std::string("big")})[0].integer(0), 2);
  });
}

TEST_P(DatabaseContract, FailingWriteRollsBackOnlyItselfInAGroup) {
  auto db = GetParam()();
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
  EXPECT_EQ(count(*db), 12);
}

// Keeps the writer busy for 200 ms with a write of its own ('first'), so that the writes queued
// meanwhile go into one batch.
class BusyWriter {
 public:
  explicit BusyWriter(Database& db) {
    thread_ = std::thread([this, &db] {
      db.write_sync([&](Tx& tx) {
        tx.exec("INSERT INTO t (name) VALUES ('first')");
        started_.set_value();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      });
    });
    started_.get_future().wait();
  }
  ~BusyWriter() { thread_.join(); }
  BusyWriter(const BusyWriter&) = delete;
  BusyWriter& operator=(const BusyWriter&) = delete;

 private:
  std::promise<void> started_;
  std::thread thread_;
};

// Writes queued while the writer is busy go into one batch. The batch runs without savepoints
// first; the failing writes make it run again with one savepoint per write, and only their own
// changes go. The others commit once, and their after-commit hooks run once.
TEST_P(DatabaseContract, OneBatchWithFailingWritesKeepsTheOthersAndRunsTheirHooksOnce) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  BusyWriter busy(*db);
  std::atomic<int> ok{0}, failed{0}, hooks{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      try {
        db->write_sync([&, i](Tx& tx) {
          tx.exec("INSERT INTO t (name) VALUES (?)", {"w" + std::to_string(i)});
          tx.after_commit([&] { ++hooks; });
          if (i == 2 || i == 5) throw std::runtime_error("refused");
        });
        ++ok;
      } catch (const std::runtime_error&) {
        ++failed;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(failed, 2);
  EXPECT_EQ(hooks, 6);
  db->read_sync([](Tx& tx) {
    auto rows = tx.query("SELECT name FROM t ORDER BY name");
    std::vector<std::string> names;
    for (const auto& r : rows) names.push_back(r.text(0));
    EXPECT_EQ(names, (std::vector<std::string>{"first", "w0", "w1", "w3", "w4", "w6", "w7"}));
  });
}

// Shared work: the writes of a batch register what they want, and the batch's shared work
// stores all of it in one statement just before the commit; each write then sees its result.
struct InsertAll final : BatchWork {
  std::vector<std::pair<std::string, std::int64_t*>> names;
  int runs = 0;
  void run(Tx& tx) override {
    ++runs;
    std::string sql = "INSERT INTO t (name) VALUES (?)";
    std::vector<Value> params{names[0].first};
    for (std::size_t i = 1; i < names.size(); ++i) {
      sql += ", (?)";
      params.emplace_back(names[i].first);
    }
    tx.exec(sql, params);
    for (auto& [name, id] : names) *id = tx.query("SELECT id FROM t WHERE name = ?", {name})[0].integer(0);
  }
};

TEST_P(DatabaseContract, SharedWorkStoresABatchsWritesInOneGoBeforeItCommits) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  BusyWriter busy(*db);
  std::vector<std::int64_t> ids(6, -1);
  std::atomic<int> failed{0}, works{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      try {
        db->write_sync([&, i](Tx& tx) {
          if (i == 3) throw std::runtime_error("refused before registering");
          auto& work = tx.shared<InsertAll>("insert-all", [&] {
            ++works;
            return std::make_unique<InsertAll>();
          });
          work.names.emplace_back("s" + std::to_string(i), &ids[static_cast<std::size_t>(i)]);
        });
      } catch (const std::runtime_error&) {
        ++failed;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(count(*db), 6);  // first + 5
  for (int i = 0; i < 6; ++i) {
    if (i == 3) continue;
    EXPECT_GT(ids[static_cast<std::size_t>(i)], 1) << i;
    db->read_sync([&](Tx& tx) {
      EXPECT_EQ(tx.query("SELECT name FROM t WHERE id = ?", {ids[static_cast<std::size_t>(i)]})[0].text(0),
                "s" + std::to_string(i));
    });
  }
  // Outside a batched write there is no shared work.
  db->read_sync([](Tx& tx) {
    EXPECT_THROW(tx.shared<InsertAll>("x", [] { return std::make_unique<InsertAll>(); }), std::logic_error);
  });
}

TEST_P(DatabaseContract, UniqueViolationIsTypedAndChangesNothing) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  db->write_sync([](Tx& tx) { tx.exec("INSERT INTO t (name) VALUES ('a')"); });
  EXPECT_THROW(db->write_sync([](Tx& tx) {
                 tx.exec("INSERT INTO t (name) VALUES ('b')");
                 tx.exec("INSERT INTO t (name) VALUES ('a')");
               }),
               ConstraintViolation);
  EXPECT_EQ(count(*db), 1);
}

TEST_P(DatabaseContract, CountsChangedRowsLikeEveryBackend) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  db->write_sync([](Tx& tx) {
    tx.exec("INSERT INTO t (name) VALUES ('a')");
    tx.exec("INSERT INTO t (name) VALUES ('b')");
    EXPECT_EQ(tx.exec("UPDATE t SET note = 'x'"), 2);
    EXPECT_EQ(tx.exec("UPDATE t SET note = 'x' WHERE name = 'a'"), 1);  // matched, even if unchanged
    EXPECT_EQ(tx.exec("DELETE FROM t WHERE name = 'nobody'"), 0);
  });
}

TEST_P(DatabaseContract, InsertIgnoreSkipsTakenKeysAndUpsertUpdatesOnlyWhatItNames) {
  auto db = GetParam()();
  auto migrations = kMigrations;
  migrations.push_back({3, "ALTER TABLE t ADD COLUMN tag TEXT;", "ALTER TABLE t ADD COLUMN tag VARCHAR(32);"});
  db->migrate(migrations);
  auto tag_of = [&](const std::string& name) {
    std::optional<std::string> tag;
    db->read_sync([&](Tx& tx) { tag = tx.query("SELECT tag FROM t WHERE name = ?", {name})[0].optional_text(0); });
    return tag;
  };
  auto note_of = [&](const std::string& name) {
    std::optional<std::string> note;
    db->read_sync([&](Tx& tx) { note = tx.query("SELECT note FROM t WHERE name = ?", {name})[0].optional_text(0); });
    return note;
  };
  db->write_sync([](Tx& tx) {
    const auto d = tx.dialect();
    EXPECT_EQ(tx.exec(sql::insert_ignore(d, "t", {"name", "note"}, 2), {std::string("a"), std::string("1"),
                                                                         std::string("b"), std::string("2")}),
              2);
    // A taken key is skipped, the rest of the rows still go in.
    EXPECT_EQ(tx.exec(sql::insert_ignore(d, "t", {"name", "note"}, 2), {std::string("a"), std::string("changed"),
                                                                         std::string("c"), std::string("3")}),
              1);
    // Upsert: a new row goes in; a taken key updates only the columns named (note, not tag).
    tx.exec(sql::upsert(d, "t", {"name", "note", "tag"}, {"name"}, {"note"}),
            {std::string("d"), std::string("4"), std::string("first")});
    tx.exec(sql::upsert(d, "t", {"name", "note", "tag"}, {"name"}, {"note"}),
            {std::string("d"), std::string("four"), std::string("second")});
    tx.exec(sql::upsert(d, "t", {"name", "note"}, {"name"}, {"note"}), {std::string("b"), std::string("two")});
    // With nothing to update, a taken key leaves the row as it is.
    tx.exec(sql::upsert(d, "t", {"name", "note"}, {"name"}, {}), {std::string("c"), std::string("three")});
    tx.exec(sql::upsert(d, "t", {"name", "note"}, {"name"}, {}), {std::string("e"), nullptr});
  });
  EXPECT_EQ(count(*db), 5);
  EXPECT_EQ(note_of("a"), "1");
  EXPECT_EQ(note_of("b"), "two");
  EXPECT_EQ(note_of("c"), "3");
  EXPECT_EQ(note_of("d"), "four");
  EXPECT_EQ(tag_of("d"), "first");
  EXPECT_EQ(note_of("e"), std::nullopt);
  db->read_sync([](Tx& tx) {
    auto sql = std::string("SELECT ") + std::string(sql::greatest(tx.dialect())) + "(2, 7, 3)";
    EXPECT_EQ(tx.query(sql)[0].integer(0), 7);
  });
}

TEST_P(DatabaseContract, ConcatAndLockingReadsAreSpelledForTheDialect) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  db->write_sync([](Tx& tx) {
    const auto d = tx.dialect();
    tx.exec("INSERT INTO t (name, note) VALUES ('a', 'x')");
    EXPECT_EQ(tx.query("SELECT " + sql::concat(d, {"name", "?", "id", "note"}) + " FROM t", {std::string("-")})[0].text(0),
              "a-1x");
    for (auto lock : {sql::RowLock::shared, sql::RowLock::exclusive})
      EXPECT_EQ(tx.query("SELECT name FROM t WHERE id = ?" + std::string(sql::locking_read(d, lock)), {std::int64_t{1}})
                    .size(),
                1u);
  });
}

// A write may run more than once: here again, in a savepoint of its own, because a write after it
// in its batch failed. write_returning gives what the run that committed returned; nothing of the
// first run is left, as it would be in a variable the function captured and added to (nor in its
// Tx's run marks).
TEST_P(DatabaseContract, WriteReturningGivesWhatTheRunThatCommittedReturned) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  EXPECT_EQ(db->write_sync_returning([](Tx& tx) {
    tx.exec("INSERT INTO t (name) VALUES ('a')");
    return tx.query("SELECT id FROM t WHERE name = 'a'")[0].integer(0);
  }),
            1);
  auto names = async::run_blocking(db->write_returning([](Tx& tx) {
    tx.exec("INSERT INTO t (name) VALUES ('b')");
    auto out = std::make_unique<std::vector<std::string>>();  // move-only
    for (const auto& r : tx.query("SELECT name FROM t ORDER BY name")) out->push_back(r.text(0));
    return out;
  }));
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(db->write_sync_returning([](Tx&) -> int { throw std::runtime_error("refused"); }), std::runtime_error);

  std::atomic<int> runs{0};
  std::vector<std::string> committed;
  {
    BusyWriter busy(*db);
    auto queued = [&](std::size_t n) {
      for (int i = 0; i < 1000 && db->queued_writes() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    std::thread keeper([&] {
      committed = db->write_sync_returning([&](Tx& tx) {
        int run = ++runs;
        EXPECT_EQ(tx.run_marks(), 0u) << "run " << run;  // what the first run marked is gone too
        tx.run_marks() = 7;
        tx.exec("INSERT INTO t (name) VALUES (?)", {"run " + std::to_string(run)});
        std::vector<std::string> out;
        for (const auto& r : tx.query("SELECT name FROM t WHERE name LIKE 'run %' ORDER BY name")) out.push_back(r.text(0));
        return out;
      });
    });
    queued(1);
    std::thread failing([&] {
      EXPECT_THROW(db->write_sync([](Tx& tx) {
        tx.exec("INSERT INTO t (name) VALUES ('failing')");
        throw std::runtime_error("refused");
      }),
                   std::runtime_error);
    });
    queued(2);
    keeper.join();
    failing.join();
  }
  EXPECT_EQ(runs, 2) << "the batch ran again after its failing write";
  EXPECT_EQ(committed, (std::vector<std::string>{"run 2"}));
}

TEST_P(DatabaseContract, AwaitableWritesAndReadsAndAfterCommitHooks) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  bool hook_ran = false, rolled_back_hook = false;
  std::int64_t n = async::run_blocking([&]() -> async::Task<std::int64_t> {
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
    std::int64_t rows = 0;
    co_await db->read([&](Tx& tx) { rows = tx.query("SELECT COUNT(*) FROM t")[0].integer(0); });
    co_return rows;
  }());
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(hook_ran);
  EXPECT_FALSE(rolled_back_hook);
}

TEST_P(DatabaseContract, ManyConcurrentWritersAllLand) {
  auto db = GetParam()();
  db->migrate(kMigrations);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i)
        db->write_sync([&](Tx& tx) { tx.exec("INSERT INTO t (name) VALUES (?)", {std::to_string(t) + "-" + std::to_string(i)}); });
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(count(*db), 400);
}

}  // namespace
}  // namespace parley::storage
