#include "store/contacts_store.hpp"

#include "parley/events/outbox.hpp"
#include "parley/storage/query.hpp"
#include "parley/storage/sql.hpp"

namespace parley::contacts {

std::vector<storage::Migration> contacts_migrations() {
  return {{1,
           R"sql(
CREATE TABLE directory (
  user_id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  display_name TEXT NOT NULL,
  bio TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX directory_by_username ON directory(username);
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  from_user TEXT NOT NULL,
  to_user TEXT NOT NULL,
  status TEXT NOT NULL,
  hidden INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX requests_to ON requests(to_user, status, id);
CREATE INDEX requests_from ON requests(from_user, status, id);
CREATE UNIQUE INDEX requests_one_pending ON requests(from_user, to_user) WHERE status = 'pending';
CREATE TABLE contacts (
  user_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  since TEXT NOT NULL,
  PRIMARY KEY (user_id, contact_id)
);
CREATE INDEX contacts_by_contact ON contacts(contact_id);
CREATE TABLE blocks (
  blocker_id TEXT NOT NULL,
  blocked_id TEXT NOT NULL,
  since TEXT NOT NULL,
  PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks(blocked_id);
)sql" + events::outbox_inbox_schema(storage::Dialect::sqlite),
           R"sql(
CREATE TABLE directory (
  user_id VARCHAR(36) PRIMARY KEY,
  username VARCHAR(32) NOT NULL,
  display_name VARCHAR(256) NOT NULL,
  bio TEXT NOT NULL,
  created_at VARCHAR(32) NOT NULL,
  INDEX directory_by_username (username)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE requests (
  id VARCHAR(36) PRIMARY KEY,
  from_user VARCHAR(36) NOT NULL,
  to_user VARCHAR(36) NOT NULL,
  status VARCHAR(16) NOT NULL,
  hidden TINYINT NOT NULL DEFAULT 0,
  created_at VARCHAR(32) NOT NULL,
  updated_at VARCHAR(32) NOT NULL,
  pending_pair VARCHAR(73) AS (IF(status = 'pending', CONCAT(from_user, ':', to_user), NULL)) STORED,
  UNIQUE KEY requests_one_pending (pending_pair),
  INDEX requests_to (to_user, status, id),
  INDEX requests_from (from_user, status, id)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE contacts (
  user_id VARCHAR(36) NOT NULL,
  contact_id VARCHAR(36) NOT NULL,
  since VARCHAR(32) NOT NULL,
  PRIMARY KEY (user_id, contact_id),
  INDEX contacts_by_contact (contact_id)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE blocks (
  blocker_id VARCHAR(36) NOT NULL,
  blocked_id VARCHAR(36) NOT NULL,
  since VARCHAR(32) NOT NULL,
  PRIMARY KEY (blocker_id, blocked_id),
  INDEX blocks_by_blocked (blocked_id)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
)sql" + events::outbox_inbox_schema(storage::Dialect::mysql)}};
}

boost::json::object Person::to_json() const {
  return {{"id", id}, {"username", username}, {"display_name", display_name}, {"bio", bio}, {"created_at", created_at}};
}

boost::json::object RequestView::to_json() const {
  return {{"id", row.id}, {"from_user", from.to_json()}, {"to_user", to.to_json()},
          {"status", row.status}, {"created_at", row.created_at}};
}

boost::json::object Entry::to_json() const { return {{"user", user.to_json()}, {"since", since}}; }

namespace store {

namespace {
constexpr const char* kPerson = "user_id, username, display_name, bio, created_at";
// The person in the five columns from at (kPerson's).
Person person_at(const storage::Row& r, std::size_t at) {
  return Person{r.text(at), r.text(at + 1), r.text(at + 2), r.text(at + 3), r.text(at + 4)};
}
Person to_person(const storage::Row& r) { return person_at(r, 0); }
RequestRow to_request(const storage::Row& r) {
  return RequestRow{r.text(0), r.text(1), r.text(2), r.text(3), r.integer(4) != 0, r.text(5)};
}
constexpr const char* kRequest = "r.id, r.from_user, r.to_user, r.status, r.hidden, r.created_at";

std::vector<Entry> entries(Tx& tx, const std::string& sql, const std::string& user, const std::string& after,
                           int limit) {
  return storage::query_all(tx, sql, {user, after, std::int64_t{limit}},
                            [](const storage::Row& r) { return Entry{to_person(r), r.text(5)}; });
}
}  // namespace

std::optional<Person> person(Tx& tx, const std::string& id) {
  return storage::query_one(tx, std::string("SELECT ") + kPerson + " FROM directory WHERE user_id = ?", {id},
                            to_person);
}

std::optional<Person> person_by_username(Tx& tx, const std::string& username) {
  return storage::query_one(tx, std::string("SELECT ") + kPerson + " FROM directory WHERE username = ? LIMIT 1",
                            {username}, to_person);
}

void upsert_person(Tx& tx, const Person& p) {
  tx.exec(storage::sql::upsert(tx.dialect(), "directory", {"user_id", "username", "display_name", "bio", "created_at"},
                               {"user_id"}, {"username", "display_name", "bio"}),
          {p.id, p.username, p.display_name, p.bio, p.created_at});
}

void erase_user(Tx& tx, const std::string& id) {
  tx.exec("DELETE FROM directory WHERE user_id = ?", {id});
  tx.exec("DELETE FROM contacts WHERE user_id = ? OR contact_id = ?", {id, id});
  tx.exec("DELETE FROM requests WHERE from_user = ? OR to_user = ?", {id, id});
  tx.exec("DELETE FROM blocks WHERE blocker_id = ? OR blocked_id = ?", {id, id});
}

bool are_contacts(Tx& tx, const std::string& a, const std::string& b) {
  return contact_since(tx, a, b).has_value();
}

std::optional<std::string> contact_since(Tx& tx, const std::string& user, const std::string& other) {
  return storage::query_one(tx, "SELECT since FROM contacts WHERE user_id = ? AND contact_id = ?", {user, other},
                            [](const storage::Row& r) { return r.text(0); });
}

bool add_contact(Tx& tx, const std::string& a, const std::string& b, const std::string& since) {
  auto sql = storage::sql::insert_ignore(tx.dialect(), "contacts", {"user_id", "contact_id", "since"});
  bool added = tx.exec(sql, {a, b, since}) == 1;
  tx.exec(sql, {b, a, since});
  return added;
}

bool remove_contact(Tx& tx, const std::string& a, const std::string& b) {
  return tx.exec("DELETE FROM contacts WHERE (user_id = ? AND contact_id = ?) OR (user_id = ? AND contact_id = ?)",
                 {a, b, b, a}) > 0;
}

std::vector<Entry> list_contacts(Tx& tx, const std::string& user, const std::string& after_username, int limit) {
  return entries(tx,
                 "SELECT d.user_id, d.username, d.display_name, d.bio, d.created_at, c.since FROM contacts c "
                 "JOIN directory d ON d.user_id = c.contact_id WHERE c.user_id = ? AND d.username > ? "
                 "ORDER BY d.username LIMIT ?",
                 user, after_username, limit);
}

bool is_blocked(Tx& tx, const std::string& blocker, const std::string& blocked) {
  return !tx.query("SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?", {blocker, blocked}).empty();
}

bool add_block(Tx& tx, const std::string& blocker, const std::string& blocked, const std::string& since) {
  return tx.exec(storage::sql::insert_ignore(tx.dialect(), "blocks", {"blocker_id", "blocked_id", "since"}),
                 {blocker, blocked, since}) == 1;
}

bool remove_block(Tx& tx, const std::string& blocker, const std::string& blocked) {
  return tx.exec("DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?", {blocker, blocked}) == 1;
}

std::vector<Entry> list_blocks(Tx& tx, const std::string& blocker, const std::string& after_username, int limit) {
  return entries(tx,
                 "SELECT d.user_id, d.username, d.display_name, d.bio, d.created_at, b.since FROM blocks b "
                 "JOIN directory d ON d.user_id = b.blocked_id WHERE b.blocker_id = ? AND d.username > ? "
                 "ORDER BY d.username LIMIT ?",
                 blocker, after_username, limit);
}

std::optional<RequestRow> request(Tx& tx, const std::string& id) {
  return storage::query_one(tx, std::string("SELECT ") + kRequest + " FROM requests r WHERE r.id = ?", {id},
                            to_request);
}

std::optional<RequestRow> pending_request(Tx& tx, const std::string& from, const std::string& to) {
  return storage::query_one(
      tx,
      std::string("SELECT ") + kRequest +
          " FROM requests r WHERE r.from_user = ? AND r.to_user = ? AND r.status = 'pending'",
      {from, to}, to_request);
}

void insert_request(Tx& tx, const RequestRow& r) {
  tx.exec("INSERT INTO requests (id, from_user, to_user, status, hidden, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {r.id, r.from_user, r.to_user, r.status, std::int64_t{r.hidden ? 1 : 0}, r.created_at, r.created_at});
}

void set_status(Tx& tx, const std::string& id, const std::string& status, const std::string& now) {
  tx.exec("UPDATE requests SET status = ?, updated_at = ? WHERE id = ?", {status, now, id});
}

void close_pending_between(Tx& tx, const std::string& a, const std::string& b, const std::string& status,
                           const std::string& now) {
  tx.exec("UPDATE requests SET status = ?, updated_at = ? WHERE status = 'pending' AND "
          "((from_user = ? AND to_user = ?) OR (from_user = ? AND to_user = ?))",
          {status, now, a, b, b, a});
}

void cancel_pending(Tx& tx, const std::string& from, const std::string& to, const std::string& now) {
  tx.exec("UPDATE requests SET status = 'cancelled', updated_at = ? WHERE status = 'pending' AND from_user = ? AND to_user = ?",
          {now, from, to});
}

void hide_pending(Tx& tx, const std::string& from, const std::string& to) {
  tx.exec("UPDATE requests SET hidden = 1 WHERE status = 'pending' AND from_user = ? AND to_user = ?", {from, to});
}

void drop_hidden(Tx& tx, const std::string& from, const std::string& to, const std::string& now) {
  tx.exec(
      "UPDATE requests SET status = 'dropped', updated_at = ? "
      "WHERE status = 'pending' AND hidden = 1 AND from_user = ? AND to_user = ?",
      {now, from, to});
}

namespace {
constexpr const char* kViewSelect =
    "SELECT r.id, r.from_user, r.to_user, r.status, r.hidden, r.created_at, "
    "f.user_id, f.username, f.display_name, f.bio, f.created_at, "
    "t.user_id, t.username, t.display_name, t.bio, t.created_at "
    "FROM requests r JOIN directory f ON f.user_id = r.from_user JOIN directory t ON t.user_id = r.to_user ";
RequestView to_view(const storage::Row& r) { return RequestView{to_request(r), person_at(r, 6), person_at(r, 11)}; }
}  // namespace

std::optional<RequestView> request_view(Tx& tx, const std::string& id) {
  return storage::query_one(tx, std::string(kViewSelect) + "WHERE r.id = ?", {id}, to_view);
}

std::vector<RequestView> list_pending(Tx& tx, const std::string& user, bool incoming, const std::string& before_id,
                                      int limit) {
  std::string sql = std::string(kViewSelect) +
                    (incoming ? "WHERE r.to_user = ? AND r.hidden = 0" : "WHERE r.from_user = ?") +
                    " AND r.status = 'pending' AND (? = '' OR r.id < ?) ORDER BY r.id DESC LIMIT ?";
  return storage::query_all(tx, sql, {user, before_id, before_id, std::int64_t{limit}}, to_view);
}

}  // namespace store
}  // namespace parley::contacts
