#pragma once
// The replica of what other services own and the messages service decides by (people and their
// dm_policy, contact_pairs, block_pairs), kept by events; and erasing a deleted account from every
// table. Every function runs inside the transaction it is given.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/rules.hpp"
#include "parley/storage/database.hpp"

namespace parley::messages {

struct Person {
  std::string user_id;
  std::string dm_policy;
};

namespace store {
using storage::Tx;

void upsert_person(Tx& tx, const std::string& user_id, const std::string& username,
                   const std::string& dm_policy);
// A new person (dm_policy "everyone"); one already known keeps what it has (user.registered may
// arrive again after a user.profile_updated that set the policy).
void add_person(Tx& tx, const std::string& user_id, const std::string& username);
void update_policy(Tx& tx, const std::string& user_id, const std::string& dm_policy);
std::optional<Person> person(Tx& tx, const std::string& user_id);
void set_contacts(Tx& tx, const std::string& a, const std::string& b, bool contacts);
void set_block(Tx& tx, const std::string& blocker, const std::string& blocked, bool blocked_now);
// Everything that decides whether sender may write to recipient directly, in one query; nullopt
// if the recipient is unknown.
std::optional<DirectFacts> direct_facts(Tx& tx, const std::string& sender,
                                        const std::string& recipient);
// For each (sender, recipient) whose recipient is known: what decides whether sender may write
// to recipient directly.
std::map<std::pair<std::string, std::string>, DirectFacts> direct_facts(
    Tx& tx, const std::vector<std::pair<std::string, std::string>>& pairs);
// Erases a deleted account: replica rows, memberships, sync log; their messages become tombstones.
void erase_user(Tx& tx, const std::string& user_id);

}  // namespace store
}  // namespace parley::messages
