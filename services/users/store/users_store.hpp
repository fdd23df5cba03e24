#pragma once
#include <optional>
#include <string>
#include <vector>

#include "domain/profile.hpp"
#include "parley/storage/database.hpp"

namespace parley::users {

std::vector<storage::Migration> users_migrations();

namespace store {
using storage::Tx;
std::optional<Profile> find(Tx& tx, const std::string& id);
// Inserts unless a profile with this id exists.
void insert(Tx& tx, const Profile& p);
void update(Tx& tx, const Profile& p);
void remove(Tx& tx, const std::string& id);
// Profiles whose username or display name starts with the prefix, ordered by username, after
// the given username.
std::vector<Profile> search(Tx& tx, const std::string& like_pattern, const std::string& after, int limit);
}  // namespace store

}  // namespace parley::users
