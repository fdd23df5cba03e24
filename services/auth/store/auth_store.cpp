#include "store/auth_store.hpp"

#include "parley/events/outbox.hpp"
#include "parley/storage/query.hpp"

namespace parley::auth {

std::vector<storage::Migration> auth_migrations() {
  return {{1,
           R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  email_lower TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  last_used_at TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  ip TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  used_at_ms INTEGER
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);
)sql" + events::outbox_inbox_schema(storage::Dialect::sqlite),
           R"sql(
CREATE TABLE users (
  id VARCHAR(36) PRIMARY KEY,
  username VARCHAR(32) NOT NULL UNIQUE,
  email VARCHAR(254) NOT NULL,
  email_lower VARCHAR(254) NOT NULL UNIQUE,
  display_name VARCHAR(256) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  created_at VARCHAR(32) NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE sessions (
  id VARCHAR(36) PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL,
  created_at VARCHAR(32) NOT NULL,
  last_used_at VARCHAR(32) NOT NULL,
  user_agent VARCHAR(256) NOT NULL,
  ip VARCHAR(64) NOT NULL,
  revoked_at VARCHAR(32),
  INDEX sessions_by_user (user_id),
  FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE refresh_tokens (
  token_hash CHAR(64) PRIMARY KEY,
  session_id VARCHAR(36) NOT NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_at_ms BIGINT,
  INDEX refresh_tokens_by_session (session_id),
  FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
)sql" + events::outbox_inbox_schema(storage::Dialect::mysql)},
          // Deleted accounts, for an hour (the longest an access token lives): their sessions go
          // with the account, and a restarted process must still refuse their tokens.
          {2,
           R"sql(
CREATE TABLE deleted_users (user_id TEXT PRIMARY KEY, deleted_at_ms INTEGER NOT NULL);
)sql",
           R"sql(
CREATE TABLE deleted_users (user_id VARCHAR(36) PRIMARY KEY, deleted_at_ms BIGINT NOT NULL)
  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
)sql"}};
}

namespace store {

namespace {
constexpr const char* kUserColumns = "id, username, email, display_name, password_hash, created_at";
UserRecord to_user(const storage::Row& r) {
  return UserRecord{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)};
}
constexpr const char* kSessionColumns = "id, user_id, created_at, last_used_at, user_agent, ip";
SessionRecord to_session(const storage::Row& r) {
  return SessionRecord{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)};
}
std::string first_text(const storage::Row& r) { return r.text(0); }
}  // namespace

std::optional<UserRecord> find_user_by_login(Tx& tx, const std::string& login_lower) {
  return storage::query_one(
      tx, std::string("SELECT ") + kUserColumns + " FROM users WHERE username = ? OR email_lower = ? LIMIT 1",
      {login_lower, login_lower}, to_user);
}

std::optional<UserRecord> find_user(Tx& tx, const std::string& id) {
  return storage::query_one(tx, std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?", {id}, to_user);
}

bool username_exists(Tx& tx, const std::string& username) {
  return !tx.query("SELECT 1 FROM users WHERE username = ?", {username}).empty();
}

bool email_exists(Tx& tx, const std::string& email_lower) {
  return !tx.query("SELECT 1 FROM users WHERE email_lower = ?", {email_lower}).empty();
}

void insert_user(Tx& tx, const UserRecord& u) {
  std::string lower = u.email;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  tx.exec("INSERT INTO users (id, username, email, email_lower, display_name, password_hash, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {u.id, u.username, u.email, lower, u.display_name, u.password_hash, u.created_at});
}

void update_password(Tx& tx, const std::string& user_id, const std::string& hash) {
  tx.exec("UPDATE users SET password_hash = ? WHERE id = ?", {hash, user_id});
}

void delete_user(Tx& tx, const std::string& user_id, std::int64_t now_ms) {
  tx.exec("DELETE FROM users WHERE id = ?", {user_id});
  tx.exec("DELETE FROM deleted_users WHERE deleted_at_ms < ?", {now_ms - 3'600'000});
  tx.exec("INSERT INTO deleted_users (user_id, deleted_at_ms) VALUES (?, ?)", {user_id, now_ms});
}

Revocations recent_revocations(Tx& tx, const std::string& since, std::int64_t since_ms) {
  return Revocations{
      storage::query_all(tx, "SELECT id FROM sessions WHERE revoked_at >= ?", {since}, first_text),
      storage::query_all(tx, "SELECT user_id FROM deleted_users WHERE deleted_at_ms >= ?", {since_ms}, first_text)};
}

void insert_session(Tx& tx, const SessionRecord& s) {
  tx.exec("INSERT INTO sessions (id, user_id, created_at, last_used_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?)",
          {s.id, s.user_id, s.created_at, s.last_used_at, s.user_agent, s.ip});
}

void touch_session(Tx& tx, const std::string& session_id, const std::string& now) {
  tx.exec("UPDATE sessions SET last_used_at = ? WHERE id = ?", {now, session_id});
}

bool revoke_session(Tx& tx, const std::string& session_id, const std::string& user_id, const std::string& now) {
  return tx.exec("UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                 {now, session_id, user_id}) == 1;
}

std::vector<SessionRecord> live_sessions(Tx& tx, const std::string& user_id) {
  return storage::query_all(tx,
                            std::string("SELECT ") + kSessionColumns +
                                " FROM sessions WHERE user_id = ? AND revoked_at IS NULL "
                                "ORDER BY created_at DESC, id DESC",
                            {user_id}, to_session);
}

std::vector<SessionHistoryRecord> session_history(Tx& tx, const std::string& user_id, const std::string& after_id,
                                                  int limit) {
  return storage::query_all(
      tx,
      std::string("SELECT ") + kSessionColumns +
          ", revoked_at FROM sessions WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?",
      {user_id, after_id, std::int64_t{limit}},
      [](const storage::Row& r) { return SessionHistoryRecord{to_session(r), r.optional_text(6)}; });
}

void insert_refresh(Tx& tx, const std::string& token_hash, const std::string& session_id,
                    std::int64_t now_ms, std::int64_t expires_at_ms) {
  tx.exec("INSERT INTO refresh_tokens (token_hash, session_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)",
          {token_hash, session_id, now_ms, expires_at_ms});
}

std::optional<RefreshRecord> find_refresh(Tx& tx, const std::string& token_hash) {
  return storage::query_one(
      tx,
      "SELECT r.session_id, s.user_id, r.expires_at_ms, r.used_at_ms, s.revoked_at "
      "FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.token_hash = ?",
      {token_hash}, [](const storage::Row& r) {
        return RefreshRecord{r.text(0), r.text(1), r.integer(2), r.optional_integer(3), !r.is_null(4)};
      });
}

bool mark_refresh_used(Tx& tx, const std::string& token_hash, std::int64_t now_ms) {
  return tx.exec("UPDATE refresh_tokens SET used_at_ms = ? WHERE token_hash = ? AND used_at_ms IS NULL",
                 {now_ms, token_hash}) == 1;
}

}  // namespace store
}  // namespace parley::auth
