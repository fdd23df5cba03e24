#pragma once
// The contacts service's tables: a replica of the user directory, requests, contacts (one row per
// direction), blocks. Every function runs inside the transaction it is given.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "parley/storage/database.hpp"

namespace parley::contacts {

std::vector<storage::Migration> contacts_migrations();

struct Person {
  std::string id;
  std::string username;
  std::string display_name;
  std::string bio;
  std::string created_at;
  boost::json::object to_json() const;
};

struct RequestRow {
  std::string id;
  std::string from_user;
  std::string to_user;
  std::string status;  // pending, accepted, declined, cancelled, dropped
  bool hidden = false;
  std::string created_at;
};

struct RequestView {
  RequestRow row;
  Person from;
  Person to;
  boost::json::object to_json() const;
};

// A contact or a block: the other person and since when.
struct Entry {
  Person user;
  std::string since;
  boost::json::object to_json() const;
};

namespace store {
using storage::Tx;

std::optional<Person> person(Tx& tx, const std::string& id);
std::optional<Person> person_by_username(Tx& tx, const std::string& username);
void upsert_person(Tx& tx, const Person& p);
// Removes the user from the directory and every request, contact and block they are part of.
void erase_user(Tx& tx, const std::string& id);

bool are_contacts(Tx& tx, const std::string& a, const std::string& b);
std::optional<std::string> contact_since(Tx& tx, const std::string& user, const std::string& other);
bool add_contact(Tx& tx, const std::string& a, const std::string& b, const std::string& since);  // false if it existed
bool remove_contact(Tx& tx, const std::string& a, const std::string& b);
std::vector<Entry> list_contacts(Tx& tx, const std::string& user, const std::string& after_username, int limit);

bool is_blocked(Tx& tx, const std::string& blocker, const std::string& blocked);
bool add_block(Tx& tx, const std::string& blocker, const std::string& blocked, const std::string& since);
bool remove_block(Tx& tx, const std::string& blocker, const std::string& blocked);
std::vector<Entry> list_blocks(Tx& tx, const std::string& blocker, const std::string& after_username, int limit);

std::optional<RequestRow> request(Tx& tx, const std::string& id);
std::optional<RequestRow> pending_request(Tx& tx, const std::string& from, const std::string& to);
void insert_request(Tx& tx, const RequestRow& r);
void set_status(Tx& tx, const std::string& id, const std::string& status, const std::string& now);
// Marks the pending requests between a and b (both directions) with status.
void close_pending_between(Tx& tx, const std::string& a, const std::string& b, const std::string& status,
                           const std::string& now);
void cancel_pending(Tx& tx, const std::string& from, const std::string& to, const std::string& now);
void hide_pending(Tx& tx, const std::string& from, const std::string& to);
// Closes (status "dropped") the pending requests from -> to hidden by to's block: on unblock.
void drop_hidden(Tx& tx, const std::string& from, const std::string& to, const std::string& now);
std::optional<RequestView> request_view(Tx& tx, const std::string& id);
// Pending requests to (incoming, without hidden ones) or from (outgoing) user, newest first,
// older than before_id ("" for the first page).
std::vector<RequestView> list_pending(Tx& tx, const std::string& user, bool incoming, const std::string& before_id,
                                      int limit);
}  // namespace store

}  // namespace parley::contacts
