#pragma once
// Auth's own tables: users (credentials), sessions, refresh tokens. Every function runs inside a
// transaction it is given.

#include <optional>
#include <string>
#include <vector>

#include "parley/storage/database.hpp"

namespace parley::auth {

struct UserRecord {
  std::string id;
  std::string username;  // lower case
  std::string email;
  std::string display_name;
  std::string password_hash;
  std::string created_at;
};

struct SessionRecord {
  std::string id;
  std::string user_id;
  std::string created_at;
  std::string last_used_at;
  std::string user_agent;
  std::string ip;
};

// A session as the account's export shows it: live (revoked_at empty) or revoked.
struct SessionHistoryRecord {
  SessionRecord session;
  std::optional<std::string> revoked_at;
};

struct RefreshRecord {
  std::string session_id;
  std::string user_id;
  std::int64_t expires_at_ms = 0;
  std::optional<std::int64_t> used_at_ms;
  bool session_revoked = false;
};

std::vector<storage::Migration> auth_migrations();

namespace store {
using storage::Tx;

std::optional<UserRecord> find_user_by_login(Tx& tx, const std::string& login_lower);
std::optional<UserRecord> find_user(Tx& tx, const std::string& id);
bool username_exists(Tx& tx, const std::string& username);
bool email_exists(Tx& tx, const std::string& email_lower);
void insert_user(Tx& tx, const UserRecord& user);
void update_password(Tx& tx, const std::string& user_id, const std::string& hash);
// Deletes the account (its sessions and refresh tokens with it) and remembers it was deleted.
void delete_user(Tx& tx, const std::string& user_id, std::int64_t now_ms);
// Sessions revoked and accounts deleted since then (RFC 3339 and Unix ms of the same moment):
// what a restarted process must refuse again.
struct Revocations {
  std::vector<std::string> sessions, users;
};
Revocations recent_revocations(Tx& tx, const std::string& since, std::int64_t since_ms);

void insert_session(Tx& tx, const SessionRecord& session);
void touch_session(Tx& tx, const std::string& session_id, const std::string& now);
// Returns true if the session was live and is now revoked.
bool revoke_session(Tx& tx, const std::string& session_id, const std::string& user_id, const std::string& now);
std::vector<SessionRecord> live_sessions(Tx& tx, const std::string& user_id);
// Every session of the user, live or revoked, oldest first, after the session id after_id ("" for
// the first page).
std::vector<SessionHistoryRecord> session_history(Tx& tx, const std::string& user_id, const std::string& after_id,
                                                  int limit);

void insert_refresh(Tx& tx, const std::string& token_hash, const std::string& session_id,
                    std::int64_t now_ms, std::int64_t expires_at_ms);
std::optional<RefreshRecord> find_refresh(Tx& tx, const std::string& token_hash);
// False if it was used already (by a concurrent request through another replica).
bool mark_refresh_used(Tx& tx, const std::string& token_hash, std::int64_t now_ms);
}  // namespace store

}  // namespace parley::auth
