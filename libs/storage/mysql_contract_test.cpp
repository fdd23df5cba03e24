// The storage contract against a real MariaDB, started by the CTest fixture `mariadb`
// (scripts/test-servers); the build passes its socket and restart command.

#include <atomic>
#include <cstdlib>
#include <thread>

#include "database_contract_test.hpp"
#include "parley/async/run_blocking.hpp"
#include "parley/storage/mysql_database.hpp"
#include "parley/events/outbox.hpp"

namespace parley::storage {
namespace {

MysqlOptions options(const std::string& database) {
  MysqlOptions o;
  o.socket = PARLEY_TEST_MYSQL_SOCKET;
  o.user = "root";
  o.database = database;
  o.reader_connections = 2;
  return o;
}

// A fresh, empty database for each test.
DatabaseFactory mysql() {
  return [] {
    static int n = 0;
    std::string name = "parley_contract_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
    return open_mysql(options(name));
  };
}

INSTANTIATE_TEST_SUITE_P(Mysql, DatabaseContract, ::testing::Values(mysql()), [](const auto&) { return "mariadb"; });

TEST(MysqlUrl, ParsesWhatTheSettingsTableDocuments) {
  auto o = parse_mysql_url("mysql://parley:s3cret@127.0.0.1:3307/parley_auth");
  EXPECT_EQ(o.user, "parley");
  EXPECT_EQ(o.password, "s3cret");
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 3307u);
  EXPECT_EQ(o.database, "parley_auth");
  EXPECT_EQ(parse_mysql_url("mysql://root@localhost/x?socket=/run/m.sock").socket, "/run/m.sock");
  EXPECT_THROW(parse_mysql_url("postgres://u@h/db"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://u@h/"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://h/db"), std::invalid_argument);
  // The name goes into CREATE DATABASE `name`: nothing that could leave the quotes.
  EXPECT_THROW(parse_mysql_url("mysql://u@h/a%60b"), std::invalid_argument);
  EXPECT_THROW(parse_mysql_url("mysql://u@h/a%20b"), std::invalid_argument);
  EXPECT_EQ(parse_mysql_url("mysql://u@h/Parley_2$").database, "Parley_2$");
  EXPECT_EQ(parse_mysql_url("mysql://u@h/parley_%7Bservice%7D").database, "parley_{service}");
  EXPECT_THROW(open_mysql(options("a`b")), std::invalid_argument);
}

// A replica that starts while another migrates waits for it, however long that takes, rather
// than failing on its statement timeout (or, past the lock's wait, migrating at the same time).
TEST(Mysql, AMigrationWaitsForAnotherProcesssMigrationLongerThanTheStatementTimeout) {
  std::string name = "parley_migrate_wait_" + std::to_string(::getpid());
  auto quick = options(name);
  quick.io_timeout = std::chrono::seconds(1);
  auto holder = open_mysql(options(name));
  holder->read_sync([&](Tx& tx) {  // the lock a migrating replica holds, on a pooled connection
    EXPECT_EQ(tx.query("SELECT GET_LOCK(?, 0)", {"parley_migrate_" + name})[0].integer(0), 1);
  });
  auto db = open_mysql(quick);
  std::atomic<bool> migrated{false};
  std::string error;
  std::thread starting([&] {
    try {
      db->migrate({{1, "", "CREATE TABLE t (id INT PRIMARY KEY)"}});
      migrated = true;
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_FALSE(migrated);  // still waiting, past its 1 s statement timeout
  holder.reset();          // the other replica finished: its connections close, the lock goes
  starting.join();
  ASSERT_TRUE(migrated) << error;
  db->write_sync([](Tx& tx) { tx.exec("INSERT INTO t (id) VALUES (1)"); });
}

// The inbox's pruning statement on MariaDB (its DELETE … ORDER BY … LIMIT differs from SQLite's).
TEST(Mysql, TheInboxForgetsOldEventsInBoundedRounds) {
  auto db = open_mysql(options("parley_inbox_" + std::to_string(::getpid())));
  db->migrate({{1, "", events::outbox_inbox_schema(Dialect::mysql)}});
  db->write_sync([](Tx& tx) {
    for (const char* id : {"018cc251-f400-7000-8000-000000000001", "018cc251-f400-7000-8000-000000000002",
                           "018cc251-f401-7000-8000-000000000003"})
      tx.exec("INSERT INTO inbox (event_id, handled_at) VALUES (?, 0)", {std::string(id)});
  });
  auto cutoff = std::chrono::system_clock::time_point(std::chrono::milliseconds(0x018cc251f401LL));
  EXPECT_EQ(events::prune_inbox(*db, cutoff, 1), 1);
  EXPECT_EQ(events::prune_inbox(*db, cutoff), 1);
  EXPECT_EQ(events::prune_inbox(*db, cutoff), 0);
  std::vector<std::string> left;
  db->read_sync([&](Tx& tx) {
    for (const auto& row : tx.query("SELECT event_id FROM inbox")) left.push_back(row.text(0));
  });
  EXPECT_EQ(left, (std::vector<std::string>{"018cc251-f401-7000-8000-000000000003"}));
}

TEST(Mysql, ALeaseIsHeldByOneProcessAtATimeAndPassesOnWhenItGoes) {
  std::string name = "parley_lease_" + std::to_string(::getpid());
  auto a = open_mysql(options(name));
  auto b = open_mysql(options(name));  // another replica of the same service
  EXPECT_TRUE(a->hold_lease("outbox"));
  EXPECT_TRUE(a->hold_lease("outbox"));  // still held
  EXPECT_FALSE(b->hold_lease("outbox"));
  EXPECT_TRUE(b->hold_lease("other"));   // leases are per name
  a.reset();  // the holder goes away; the server ends its session (and lock) a moment later
  bool taken = false;
  for (int i = 0; i < 200 && !taken; ++i) {
    taken = b->hold_lease("outbox");
    if (!taken) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(taken);
}

TEST(Mysql, LastInsertIdGivesACounterBackWithoutAnotherQuery) {
  auto db = open_mysql(options("parley_counter_" + std::to_string(::getpid())));
  db->migrate({{1, "", "CREATE TABLE c (name VARCHAR(8) PRIMARY KEY, n BIGINT NOT NULL)"}});
  std::vector<std::int64_t> got;
  auto bump = [&](Tx& tx) {
    tx.exec("INSERT INTO c (name, n) VALUES ('a', LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE n = LAST_INSERT_ID(n + 1)");
    got.push_back(tx.last_insert_id());
  };
  db->write_sync(bump);  // inserted
  db->write_sync(bump);  // updated
  db->write_sync([&](Tx& tx) {
    tx.exec("UPDATE c SET n = LAST_INSERT_ID(n + 1) WHERE name = 'a'");
    got.push_back(tx.last_insert_id());
    bump(tx);
  });
  EXPECT_EQ(got, (std::vector<std::int64_t>{1, 2, 3, 4}));
  std::int64_t n = 0;
  db->read_sync([&](Tx& tx) { n = tx.query("SELECT n FROM c WHERE name = 'a'")[0].integer(0); });
  EXPECT_EQ(n, 4);
}

TEST(Mysql, RecoversAfterTheServerRestartsWithoutARestartOfItsOwn) {
  auto db = open_mysql(options("parley_restart_" + std::to_string(::getpid())));
  db->migrate({{1, "", "CREATE TABLE r (id BIGINT PRIMARY KEY)"}});
  db->write_sync([](Tx& tx) { tx.exec("INSERT INTO r (id) VALUES (1)"); });
  for (int i = 0; i < 3; ++i)  // several idle reader connections, all dropped by the restart
    db->read_sync([](Tx& tx) { tx.query("SELECT COUNT(*) FROM r"); });
  ASSERT_EQ(std::system(PARLEY_TEST_MYSQL_RESTART), 0);
  // Once the server is back, nobody notices it went away: connections it dropped are replaced
  // when their next transaction begins, before anything ran on them.
  db->write_sync([](Tx& tx) { tx.exec("INSERT INTO r (id) VALUES (2)"); });
  for (int i = 0; i < 4; ++i) {
    std::int64_t n = 0;
    db->read_sync([&](Tx& tx) { n = tx.query("SELECT COUNT(*) FROM r")[0].integer(0); });
    EXPECT_EQ(n, 2);
  }
}

TEST(Mysql, ASingleStatementReadSeesCommittedRowsAndSurvivesAServerRestart) {
  auto db = open_mysql(options("parley_statement_" + std::to_string(::getpid())));
  db->migrate({{1, "", "CREATE TABLE r (id BIGINT PRIMARY KEY)"}});
  auto count = [&] {
    std::int64_t n = -1;
    async::run_blocking(db->read_statement([&](Tx& tx) { n = tx.query("SELECT COUNT(*) FROM r")[0].integer(0); }));
    return n;
  };
  EXPECT_EQ(count(), 0);
  db->write_sync([](Tx& tx) { tx.exec("INSERT INTO r (id) VALUES (1)"); });
  EXPECT_EQ(count(), 1);  // no transaction left open on the pooled connection hides the new row
  db->write_sync([](Tx& tx) { tx.exec("INSERT INTO r (id) VALUES (2)"); });
  EXPECT_EQ(count(), 2);
  ASSERT_EQ(std::system(PARLEY_TEST_MYSQL_RESTART), 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(count(), 2);  // the dropped pooled connection is replaced
}

TEST(Mysql, WhileTheServerIsAwayCallsFailWithConnectionLostAndAfterItTheyWork) {
  std::string name = "parley_away_" + std::to_string(::getpid());
  auto db = open_mysql(options(name));
  db->migrate({{1, "", "CREATE TABLE r (id BIGINT PRIMARY KEY)"}});
  ASSERT_EQ(std::system(PARLEY_TEST_MYSQL_STOP), 0);
  EXPECT_THROW(db->write_sync([](Tx& tx) { tx.exec("INSERT INTO r (id) VALUES (1)"); }), ConnectionLost);
  EXPECT_THROW(db->read_sync([](Tx& tx) { tx.query("SELECT 1"); }), ConnectionLost);
  ASSERT_EQ(std::system(PARLEY_TEST_MYSQL_START), 0);
  db->write_sync([](Tx& tx) { tx.exec("INSERT INTO r (id) VALUES (1)"); });
  std::int64_t n = 0;
  db->read_sync([&](Tx& tx) { n = tx.query("SELECT COUNT(*) FROM r")[0].integer(0); });
  EXPECT_EQ(n, 1);
}

TEST(Mysql, ADeadlockBetweenTwoWritersRunsTheVictimsBatchAgain) {
  // Two replicas on one database, each writing the same two rows in the opposite order: the
  // server undoes one of the transactions to break the deadlock, and that writer runs it again.
  std::string name = "parley_deadlock_" + std::to_string(::getpid());
  auto one = open_mysql(options(name));
  auto two = open_mysql(options(name));
  one->migrate({{1, "", "CREATE TABLE c (name VARCHAR(8) PRIMARY KEY, n BIGINT NOT NULL);"
                        "INSERT INTO c VALUES ('a', 0), ('b', 0)"}});
  std::atomic<int> runs{0}, holding{0};
  auto both = [&](const char* first, const char* second) {
    return [&runs, &holding, first, second](Tx& tx) {
      ++runs;
      tx.exec("UPDATE c SET n = n + 1 WHERE name = ?", {std::string(first)});
      ++holding;  // each holds its first row before either asks for its second
      for (int i = 0; i < 500 && holding < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      tx.exec("UPDATE c SET n = n + 1 WHERE name = ?", {std::string(second)});
    };
  };
  std::exception_ptr failed;
  std::thread other([&] {
    try {
      two->write_sync(both("b", "a"));
    } catch (...) {
      failed = std::current_exception();
    }
  });
  EXPECT_NO_THROW(one->write_sync(both("a", "b")));
  other.join();
  EXPECT_FALSE(failed) << "the deadlock's victim was reported as a failure";
  EXPECT_EQ(runs, 3) << "one of the two ran again";
  one->read_sync([](Tx& tx) {
    for (const auto& row : tx.query("SELECT n FROM c")) EXPECT_EQ(row.integer(0), 2);
  });
}

}  // namespace
}  // namespace parley::storage
