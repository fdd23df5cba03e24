// The sync log's tables on SQLite and on a real MariaDB (started by the CTest fixture `mariadb`):
// who reads which events through membership spans, pruning's floor, and, on MariaDB, that writers
// on two connections (two replicas) commit in gseq order.

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <thread>
#include <unistd.h>

#include "parley/storage/mysql_database.hpp"
#include "parley/storage/test_support.hpp"
#include "store/conversations.hpp"
#include "store/people.hpp"
#include "store/schema.hpp"
#include "store/sync_log.hpp"

namespace parley::messages {
namespace {

using namespace std::chrono_literals;
using storage::Tx;

struct Backend {
  std::string name;
  // Opens the same database again on every call (another replica of the service).
  std::function<std::unique_ptr<storage::Database>()> open;
};

Backend sqlite_backend() {
  static int n = 0;
  auto path = storage::testing::fresh_sqlite_path("synclog", "db" + std::to_string(++n) + ".db");
  return {"sqlite", [path] { return storage::open_sqlite({.path = path, .synchronous_full = false}); }};
}

Backend mariadb_backend() {
  static int n = 0;
  std::string name = "parley_synclog_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
  return {"mariadb", [name] {
            storage::MysqlOptions o;
            o.socket = PARLEY_TEST_MYSQL_SOCKET;
            o.user = "root";
            o.database = name;
            o.reader_connections = 2;
            return storage::open_mysql(o);
          }};
}

class SyncLogBase : public ::testing::Test {
 protected:
  void open(Backend backend) {
    backend_ = std::move(backend);
    db_ = backend_.open();
    db_->migrate(messages_migrations());
  }
  void write(const std::function<void(Tx&)>& fn) { db_->write_sync(fn); }
  store::SyncRead read(const std::string& user, std::int64_t cursor, int limit = 100) {
    store::SyncRead out;
    db_->read_sync([&](Tx& tx) { out = store::read_sync(tx, user, cursor, limit); });
    return out;
  }
  std::vector<std::string> payloads(const std::string& user, std::int64_t cursor) {
    std::vector<std::string> out;
    for (auto& [g, p] : read(user, cursor).events) out.push_back(p);
    return out;
  }
  // A conversation's event, or one user's.
  std::int64_t to_conversation(const std::string& conversation, const std::string& payload) {
    std::int64_t g = 0;
    write([&](Tx& tx) { g = store::append_events(tx, {{&conversation, nullptr, &payload}}, 1000).first; });
    return g;
  }
  std::int64_t to_user(const std::string& user, const std::string& payload) {
    std::int64_t g = 0;
    write([&](Tx& tx) { g = store::append_events(tx, {{nullptr, &user, &payload}}, 1000).first; });
    return g;
  }
  void join(const std::string& conversation, const std::string& user) {
    write([&](Tx& tx) { store::add_member(tx, conversation, user, Role::member, "t", store::lock_sync_head(tx)); });
  }
  void leave(const std::string& conversation, const std::string& user) {
    write([&](Tx& tx) { store::remove_member(tx, conversation, user, store::lock_sync_head(tx)); });
  }

  Backend backend_;
  std::unique_ptr<storage::Database> db_;
};

// On both SQLite and MariaDB.
class SyncLog : public SyncLogBase, public ::testing::WithParamInterface<std::function<Backend()>> {
 protected:
  void SetUp() override { open(GetParam()()); }
};

// On MariaDB only: several writers at once (replicas); SQLite has one writer.
class SyncLogReplicas : public SyncLogBase {
 protected:
  void SetUp() override { open(mariadb_backend()); }
};

using P = std::vector<std::string>;

TEST_P(SyncLog, MembersReadAConversationsEventsOnlyWhileTheyAreIn) {
  write([](Tx& tx) { store::insert_conversation(tx, ConversationRow{"c", "group", "T", "t", 0, "t"}, std::nullopt); });
  to_conversation("c", "before anyone");
  join("c", "ann");
  to_conversation("c", "m1");
  join("c", "ben");
  to_conversation("c", "m2");
  to_user("ben", "ben's own");
  leave("c", "ann");
  to_conversation("c", "m3");
  join("c", "ann");
  std::int64_t last = to_conversation("c", "m4");
  to_conversation("other", "elsewhere");

  EXPECT_EQ(payloads("ann", 0), (P{"m1", "m2", "m4"}));  // not m3: she was away
  EXPECT_EQ(payloads("ben", 0), (P{"m2", "ben's own", "m3", "m4"}));
  EXPECT_EQ(payloads("nobody", 0), P{});
  // After a cursor: only what follows it, ascending, and the clock in the same answer.
  auto r = read("ben", last - 1);
  EXPECT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].first, last);
  EXPECT_EQ(r.head.last, last + 1);
  EXPECT_EQ(r.head.floor, 0);
  EXPECT_EQ(r.head.epoch.size(), 16u);
  // A page: the oldest first.
  auto page = read("ben", 0, 2);
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[1].second, "ben's own");
}

TEST_P(SyncLog, GseqsAreConsecutiveInTheOrderGivenAndPruningRaisesTheFloor) {
  std::string c = "c", u = "u", a = "a", b = "b", d = "d";
  std::int64_t first = 0;
  write([&](Tx& tx) { first = store::append_events(tx, {{&c, nullptr, &a}, {nullptr, &u, &b}, {&c, nullptr, &d}}, 1000).first; });
  std::int64_t later = 0;
  write([&](Tx& tx) { later = store::append_events(tx, {{nullptr, &u, &a}}, 5000).first; });
  EXPECT_EQ(later, first + 3);
  std::int64_t removed = 0;
  write([&](Tx& tx) { removed = store::prune_events(tx, 2000, 100); });
  EXPECT_EQ(removed, 3);  // the three stored at 1000
  store::SyncHead head;
  db_->read_sync([&](Tx& tx) { head = store::sync_head(tx); });
  EXPECT_EQ(head.floor, first + 2);
  EXPECT_EQ(head.last, later);
  EXPECT_EQ(payloads("u", first + 2), (P{"a"}));
  write([&](Tx& tx) { removed = store::prune_events(tx, 2000, 100); });
  EXPECT_EQ(removed, 0);
}

TEST_P(SyncLog, AnEventsAudienceIsReadAfterTheClockUnlessTheCallersListIsCurrent) {
  write([](Tx& tx) { store::insert_conversation(tx, ConversationRow{"c", "group", "T", "t", 0, "t"}, std::nullopt); });
  join("c", "ann");
  std::string c = "c", p = "p";
  std::vector<std::string> as_read = {"ann (as the caller read it)"};
  store::Appended given, not_given;
  write([&](Tx& tx) {
    given = store::append_events(tx, {{&c, nullptr, &p, &as_read}}, 1000);
    not_given = store::append_events(tx, {{&c, nullptr, &p}}, 1000);
  });
  EXPECT_EQ(not_given.audiences["c"], (P{"ann"}));
  if (backend_.name == "mariadb")
    EXPECT_EQ(given.audiences["c"], (P{"ann"}));  // the caller's read may predate the clock: read again
  else
    EXPECT_TRUE(given.audiences.empty());  // one writer: the caller's list is current, not read twice
}

TEST_P(SyncLog, EventsBetweenCarryTheUsersTheLogGivesThemTo) {
  // What a tail that missed events reads back: each with the users the log's reads give it to.
  write([](Tx& tx) { store::insert_conversation(tx, ConversationRow{"c", "group", "T", "t", 0, "t"}, std::nullopt); });
  join("c", "ann");
  std::int64_t m1 = to_conversation("c", "m1");
  join("c", "ben");
  std::int64_t own = to_user("ben", "ben's own");
  leave("c", "ann");
  std::int64_t m2 = to_conversation("c", "m2");
  std::optional<std::vector<store::LoggedEvent>> got;
  db_->read_sync([&](Tx& tx) { got = store::events_between(tx, m1, m2); });
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 3u);
  auto users = [](std::vector<std::string> u) {
    std::sort(u.begin(), u.end());
    return u;
  };
  EXPECT_EQ((*got)[0].gseq, m1);
  EXPECT_EQ((*got)[0].payload, "m1");
  EXPECT_EQ(users((*got)[0].audience), (P{"ann"}));
  EXPECT_EQ((*got)[1].gseq, own);
  EXPECT_EQ(users((*got)[1].audience), (P{"ben"}));
  EXPECT_EQ(users((*got)[2].audience), (P{"ben"}));  // ann had left
  EXPECT_EQ((*got)[2].at_ms, 1000);
  // A range with a hole (pruned, or never there) is refused.
  db_->read_sync([&](Tx& tx) { got = store::events_between(tx, m1, m2 + 1); });
  EXPECT_FALSE(got);
}

// A device far behind pages through its backlog: every page holds the next events in gseq order
// whichever conversation they are in, whether one conversation has more than a page of them or
// the user is in more conversations than one statement reads (64), and nothing comes twice.
TEST_P(SyncLog, PagingThroughABacklogOfManyConversationsGetsEveryEventOnceInOrder) {
  const int kConversations = 70, kLimit = 30;
  std::vector<std::string> ids;
  for (int i = 0; i < kConversations; ++i) ids.push_back("c" + std::to_string(i));
  write([&](Tx& tx) {
    for (const auto& id : ids) {
      store::insert_conversation(tx, ConversationRow{id, "group", "T", "t", 0, "t"}, std::nullopt);
      store::add_member(tx, id, "reader", Role::member, "t", store::lock_sync_head(tx));
    }
  });
  std::int64_t start = 0;
  db_->read_sync([&](Tx& tx) { start = store::sync_head(tx).last; });
  std::vector<std::string> expected;
  // A burst in one conversation (more than a page), then rounds across all of them, the
  // reader's own events among them, one conversation left halfway and one the reader is not in.
  for (int k = 0; k < 45; ++k) {
    to_conversation("c0", "c0 burst " + std::to_string(k));
    expected.push_back("c0 burst " + std::to_string(k));
  }
  for (int round = 0; round < 4; ++round) {
    if (round == 2) leave("c69", "reader");
    std::vector<std::string> payloads;
    for (const auto& id : ids) payloads.push_back(id + " round " + std::to_string(round));
    payloads.push_back("own " + std::to_string(round));
    payloads.push_back("not mine " + std::to_string(round));
    const std::string reader = "reader", elsewhere = "elsewhere";
    std::vector<store::NewEvent> events;
    for (int i = 0; i < kConversations; ++i) events.push_back({&ids[static_cast<std::size_t>(i)], nullptr, &payloads[static_cast<std::size_t>(i)]});
    events.push_back({nullptr, &reader, &payloads[static_cast<std::size_t>(kConversations)]});
    events.push_back({&elsewhere, nullptr, &payloads[static_cast<std::size_t>(kConversations) + 1]});
    write([&](Tx& tx) { store::append_events(tx, events, 1000); });
    for (int i = 0; i < kConversations; ++i)
      if (!(i == 69 && round >= 2)) expected.push_back(payloads[static_cast<std::size_t>(i)]);
    expected.push_back(payloads[static_cast<std::size_t>(kConversations)]);
  }
  std::vector<std::string> got;
  std::int64_t cursor = start, last_gseq = start;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = read("reader", cursor, kLimit);
    if (page.events.empty()) break;
    ASSERT_LE(page.events.size(), static_cast<std::size_t>(kLimit));
    for (const auto& [g, p] : page.events) {
      EXPECT_GT(g, last_gseq) << p;
      last_gseq = g;
      got.push_back(p);
    }
    cursor = page.events.back().first;
  }
  EXPECT_EQ(got, expected);
}

// The people replica fed by events: user.registered arriving again (redelivered after a
// user.profile_updated that made the user contacts-only) must not open their direct messages.
TEST_P(SyncLog, ARegistrationThatArrivesLateKeepsThePolicyAlreadyKnown) {
  write([](Tx& tx) {
    store::add_person(tx, "u", "ursula");
    store::upsert_person(tx, "u", "ursula", "contacts");
    store::add_person(tx, "u", "ursula");
    store::add_person(tx, "v", "vera");
  });
  std::optional<Person> u, v;
  db_->read_sync([&](Tx& tx) {
    u = store::person(tx, "u");
    v = store::person(tx, "v");
  });
  ASSERT_TRUE(u && v);
  EXPECT_EQ(u->dm_policy, "contacts");
  EXPECT_EQ(v->dm_policy, "everyone");
}

// Users' events that share a body but for their own number (a group's member events with each
// member's unread count) read back whole, from the log and from a range, and pruning takes the
// body once its events are gone.
TEST_P(SyncLog, EventsSharingABodyReadBackWholeAndThePruneTakesTheBody) {
  const std::string ann = "ann", ben = "ben", cid = "c";
  store::SharedBody body{R"({"type":"member.added","n":)", "}}"};
  const std::string a_text = body.head + "3" + body.tail, b_text = body.head + "0" + body.tail, plain = "plain";
  std::int64_t first = 0;
  write([&](Tx& tx) {
    store::insert_conversation(tx, ConversationRow{cid, "group", "T", "t", 0, "t"}, std::nullopt);
    store::add_member(tx, cid, ann, Role::member, "t", store::lock_sync_head(tx));
    std::vector<store::NewEvent> events{{nullptr, &ann, &a_text, nullptr, &body, 3},
                                        {nullptr, &ben, &b_text, nullptr, &body, 0},
                                        {nullptr, &ann, &plain}};
    first = store::append_events(tx, events, 1000).first;
  });
  EXPECT_EQ(payloads(ann, first - 1), (P{a_text, plain}));
  EXPECT_EQ(payloads(ben, first - 1), (P{b_text}));
  std::optional<std::vector<store::LoggedEvent>> range;
  db_->read_sync([&](Tx& tx) { range = store::events_between(tx, first, first + 2); });
  ASSERT_TRUE(range);
  ASSERT_EQ(range->size(), 3u);
  EXPECT_EQ((*range)[0].payload, a_text);
  EXPECT_EQ((*range)[1].payload, b_text);
  EXPECT_EQ((*range)[1].audience, (P{ben}));
  EXPECT_EQ((*range)[2].payload, plain);
  auto bodies = [&] {
    std::int64_t n = 0;
    db_->read_sync([&](Tx& tx) { n = tx.query("SELECT COUNT(*) FROM event_bodies")[0].integer(0); });
    return n;
  };
  EXPECT_EQ(bodies(), 1);
  write([&](Tx& tx) { store::prune_events(tx, 2000, 1000); });
  EXPECT_EQ(bodies(), 0);
}

TEST_F(SyncLogReplicas, TwoWritersCommitInGseqOrder) {
  // Replica A takes gseqs and has not committed; replica B's append waits for A's commit, so a
  // reader never sees B's gseq without A's lower one.
  auto other = backend_.open();
  std::string c = "c", p = "p";
  std::promise<void> a_took;
  std::atomic<bool> a_committed{false};
  std::int64_t a_gseq = 0, b_gseq = 0;
  std::thread a([&] {
    db_->write_sync([&](Tx& tx) {
      a_gseq = store::append_events(tx, {{&c, nullptr, &p}}, 1000).first;
      a_took.set_value();
      std::this_thread::sleep_for(300ms);
    });
    a_committed = true;
  });
  a_took.get_future().wait();
  std::chrono::steady_clock::duration b_waited{};
  store::SyncRead seen_meanwhile;
  std::thread b([&] {
    other->write_sync([&](Tx& tx) {
      auto started = std::chrono::steady_clock::now();
      b_gseq = store::append_events(tx, {{&c, nullptr, &p}}, 1000).first;
      b_waited = std::chrono::steady_clock::now() - started;
    });
  });
  std::this_thread::sleep_for(100ms);
  db_->read_sync([&](Tx& tx) { seen_meanwhile = store::read_sync(tx, "x", 0, 10); });
  a.join();
  b.join();
  EXPECT_EQ(seen_meanwhile.head.last, 0);  // neither had committed
  EXPECT_GE(b_waited, 150ms);  // held back until A's commit, ~300 ms after A took its gseq
  EXPECT_TRUE(a_committed);
  EXPECT_EQ(b_gseq, a_gseq + 1);
}

TEST_F(SyncLogReplicas, OnceTheClockIsTakenTheMemberListIsTheOneTheSpansSay) {
  // Replica A's batch read the members early (its snapshot); meanwhile replica B adds ben and
  // commits; then A appends a message event. The database gives it to ben (his span starts
  // before it), so the audience A hands its tail and the other replicas must include him too.
  write([](Tx& tx) {
    store::insert_conversation(tx, ConversationRow{"c", "group", "T", "t", 0, "t"}, std::nullopt);
    store::add_member(tx, "c", "ann", Role::owner, "t", store::lock_sync_head(tx));
  });
  auto other = backend_.open();
  std::promise<void> a_read, b_committed;
  std::vector<Member> a_snapshot;
  std::map<std::string, std::vector<std::string>> a_audience;
  std::int64_t a_gseq = 0;
  std::thread a([&] {
    db_->write_sync([&](Tx& tx) {
      store::members(tx, "c");  // the snapshot is taken here
      a_read.set_value();
      b_committed.get_future().wait();
      a_snapshot = store::members(tx, "c");
      std::string c = "c", p = "hello";
      auto appended = store::append_events(tx, {{&c, nullptr, &p}}, 1000);
      a_gseq = appended.first;
      a_audience = appended.audiences;
    });
  });
  a_read.get_future().wait();
  other->write_sync([&](Tx& tx) { store::add_member(tx, "c", "ben", Role::member, "t", store::lock_sync_head(tx)); });
  b_committed.set_value();
  a.join();
  EXPECT_EQ(a_snapshot.size(), 1u);  // the plain read is stale: this is what the test is about
  auto audience = a_audience["c"];
  std::sort(audience.begin(), audience.end());
  EXPECT_EQ(audience, (std::vector<std::string>{"ann", "ben"}));
  auto ben = read("ben", 0);
  ASSERT_EQ(ben.events.size(), 1u);
  EXPECT_EQ(ben.events[0].first, a_gseq);
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncLog, ::testing::Values(std::function<Backend()>(sqlite_backend),
                                                              std::function<Backend()>(mariadb_backend)),
                         [](const auto& info) { return info.index == 0 ? "sqlite" : "mariadb"; });

}  // namespace
}  // namespace parley::messages
