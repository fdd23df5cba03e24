#include "parley/storage/sql.hpp"

#include <stdexcept>

namespace parley::storage::sql {

namespace {
std::string joined(Names names, std::string_view format) {
  std::string out;
  for (auto name : names) {
    if (!out.empty()) out += ", ";
    for (std::size_t i = 0; i < format.size(); ++i) {
      if (format[i] == '%') out += name;
      else out += format[i];
    }
  }
  return out;
}

std::string values(Names columns, std::size_t rows) {
  return repeated("(" + placeholders(columns.size()) + ")", rows);
}
}  // namespace

std::string repeated(std::string_view unit, std::size_t n, std::string_view sep) {
  std::string out;
  out.reserve(n * (unit.size() + sep.size()));
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += sep;
    out += unit;
  }
  return out;
}

std::string insert_ignore(Dialect dialect, std::string_view table, Names columns, std::size_t rows) {
  return std::string(dialect == Dialect::mysql ? "INSERT IGNORE INTO " : "INSERT OR IGNORE INTO ") +
         std::string(table) + " (" + joined(columns, "%") + ") VALUES " + values(columns, rows);
}

std::string upsert(Dialect dialect, std::string_view table, Names columns, Names key, Names update) {
  if (key.size() == 0) throw std::logic_error("sql::upsert without a key");
  std::string sql = "INSERT INTO " + std::string(table) + " (" + joined(columns, "%") + ") VALUES " + values(columns, 1);
  if (dialect == Dialect::mysql) {
    // MySQL names no key: the statement meets whichever unique key is taken. Setting the first
    // key column to itself changes nothing (and counts no row as changed).
    return sql + " ON DUPLICATE KEY UPDATE " +
           (update.size() ? joined(update, "% = VALUES(%)") : joined({*key.begin()}, "% = %"));
  }
  sql += " ON CONFLICT(" + joined(key, "%") + ") DO ";
  return sql + (update.size() ? "UPDATE SET " + joined(update, "% = excluded.%") : std::string("NOTHING"));
}

std::string_view greatest(Dialect dialect) { return dialect == Dialect::mysql ? "GREATEST" : "MAX"; }

std::string concat(Dialect dialect, Names expressions) {
  std::string out;
  for (auto e : expressions) {
    if (!out.empty()) out += dialect == Dialect::mysql ? ", " : " || ";
    out += e;
  }
  return dialect == Dialect::mysql ? "CONCAT(" + out + ")" : out;
}

std::string_view locking_read(Dialect dialect, RowLock lock) {
  if (dialect != Dialect::mysql) return "";
  return lock == RowLock::exclusive ? " FOR UPDATE" : " LOCK IN SHARE MODE";
}

}  // namespace parley::storage::sql
