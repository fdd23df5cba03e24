// The auth store's SQL on SQLite.

#include <gtest/gtest.h>

#include <unistd.h>

#include "parley/storage/test_support.hpp"
#include "store/auth_store.hpp"

namespace parley::auth {
namespace {

// A refresh token is used once: the second mark finds it used (as a concurrent refresh through
// another replica does once the first commits), and the handler treats that as reuse.
TEST(AuthStore, ARefreshTokenIsMarkedUsedOnlyOnce) {
  auto db = storage::testing::open_fresh_sqlite("auth-store", "auth.db", auth_migrations());
  bool first = false, second = false;
  db->write_sync([&](storage::Tx& tx) {
    store::insert_user(tx, UserRecord{"u1", "ursula", "u@example.test", "Ursula", "hash", "2026-01-01T00:00:00.000Z"});
    store::insert_session(tx, SessionRecord{"s1", "u1", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", "test", "127.0.0.1"});
    store::insert_refresh(tx, "token-hash", "s1", 1000, 2000);
    first = store::mark_refresh_used(tx, "token-hash", 1500);
    second = store::mark_refresh_used(tx, "token-hash", 1600);
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  std::optional<RefreshRecord> record;
  db->read_sync([&](storage::Tx& tx) { record = store::find_refresh(tx, "token-hash"); });
  ASSERT_TRUE(record && record->used_at_ms);
  EXPECT_EQ(*record->used_at_ms, 1500);
}

}  // namespace
}  // namespace parley::auth
