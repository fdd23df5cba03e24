#pragma once
// SQL that SQLite and MySQL/MariaDB spell differently, written once. Table and column names are
// the caller's constants (never input); values stay bound parameters ("?").

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "parley/storage/database.hpp"

namespace parley::storage::sql {

using Names = std::initializer_list<std::string_view>;

// n copies of unit, separated by sep: repeated("(?, ?)", 2) is "(?, ?), (?, ?)".
std::string repeated(std::string_view unit, std::size_t n, std::string_view sep = ", ");

// "?, ?, ?": n placeholders.
inline std::string placeholders(std::size_t n) { return repeated("?", n); }

// INSERT INTO table (columns) VALUES (?, …)[, (?, …)] for rows rows, skipping any row that
// would break a unique key ("INSERT OR IGNORE" / "INSERT IGNORE"). exec() returns the rows added.
std::string insert_ignore(Dialect dialect, std::string_view table, Names columns, std::size_t rows = 1);

// INSERT INTO table (columns) VALUES (?, …) that, when the row's key (the columns of one unique
// key) is taken, sets the update columns of the existing row to the new values instead; with no
// update columns it leaves the existing row as it is. REQUIRES: key not empty.
std::string upsert(Dialect dialect, std::string_view table, Names columns, Names key, Names update);

// The larger of two values: GREATEST(a, b) / MAX(a, b).
std::string_view greatest(Dialect dialect);

// The text of the expressions one after the other: CONCAT(a, b) / a || b.
std::string concat(Dialect dialect, Names expressions);

// What ends a SELECT that locks the rows it reads until the transaction ends, and reads them as
// they stand now rather than in the transaction's snapshot: " FOR UPDATE" (exclusive) or
// " LOCK IN SHARE MODE" (shared) on MySQL; "" on SQLite, whose one writer reads what is current.
enum class RowLock { shared, exclusive };
std::string_view locking_read(Dialect dialect, RowLock lock);

}  // namespace parley::storage::sql
