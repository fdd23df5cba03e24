#include "store/users_store.hpp"

#include "parley/core/text.hpp"
#include "parley/events/outbox.hpp"
#include "parley/storage/query.hpp"
#include "parley/storage/sql.hpp"

namespace parley::users {

std::vector<storage::Migration> users_migrations() {
  return {{1,
           R"sql(
CREATE TABLE profiles (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  display_name_lower TEXT NOT NULL,
  bio TEXT NOT NULL DEFAULT '',
  dm_policy TEXT NOT NULL DEFAULT 'everyone',
  created_at TEXT NOT NULL
);
CREATE INDEX profiles_by_display_name ON profiles(display_name_lower);
)sql" + events::outbox_inbox_schema(storage::Dialect::sqlite),
           R"sql(
CREATE TABLE profiles (
  id VARCHAR(36) PRIMARY KEY,
  username VARCHAR(32) NOT NULL UNIQUE,
  display_name VARCHAR(256) NOT NULL,
  display_name_lower VARCHAR(256) NOT NULL,
  bio TEXT NOT NULL,
  dm_policy VARCHAR(16) NOT NULL DEFAULT 'everyone',
  created_at VARCHAR(32) NOT NULL,
  INDEX profiles_by_display_name (display_name_lower)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
)sql" + events::outbox_inbox_schema(storage::Dialect::mysql)}};
}

namespace store {

namespace {
constexpr const char* kColumns = "id, username, display_name, bio, dm_policy, created_at";
Profile to_profile(const storage::Row& r) {
  return Profile{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)};
}
}  // namespace

std::optional<Profile> find(Tx& tx, const std::string& id) {
  return storage::query_one(tx, std::string("SELECT ") + kColumns + " FROM profiles WHERE id = ?", {id}, to_profile);
}

void insert(Tx& tx, const Profile& p) {
  tx.exec(storage::sql::insert_ignore(tx.dialect(), "profiles",
                                      {"id", "username", "display_name", "display_name_lower", "bio", "dm_policy", "created_at"}),
          {p.id, p.username, p.display_name, text::ascii_lower(p.display_name), p.bio, p.dm_policy, p.created_at});
}

void update(Tx& tx, const Profile& p) {
  tx.exec("UPDATE profiles SET display_name = ?, display_name_lower = ?, bio = ?, dm_policy = ? WHERE id = ?",
          {p.display_name, text::ascii_lower(p.display_name), p.bio, p.dm_policy, p.id});
}

void remove(Tx& tx, const std::string& id) { tx.exec("DELETE FROM profiles WHERE id = ?", {id}); }

std::vector<Profile> search(Tx& tx, const std::string& like_pattern, const std::string& after, int limit) {
  return storage::query_all(tx,
                            std::string("SELECT ") + kColumns +
                                " FROM profiles WHERE (username LIKE ? ESCAPE '!' OR display_name_lower "
                                "LIKE ? ESCAPE '!') AND username > ? ORDER BY username LIMIT ?",
                            {like_pattern, like_pattern, after, std::int64_t{limit}}, to_profile);
}

}  // namespace store
}  // namespace parley::users
