#pragma once
// Reading rows into values: the first row a query selects, or every row, each made into a value by
// the caller's row function (a store's to_profile, to_person…).

#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "parley/storage/database.hpp"

namespace parley::storage {

// The value make(row) returns.
template <class Make>
using Made = std::invoke_result_t<Make&, const Row&>;

// The first row sql selects, made by make(row); nullopt when it selects none.
template <class Make>
std::optional<Made<Make>> query_one(Tx& tx, std::string_view sql, const std::vector<Value>& params,
                                    Make make) {
  auto rows = tx.query(sql, params);
  if (rows.empty()) return std::nullopt;
  return make(rows.front());
}

// Every row sql selects, in order, each made by make(row).
template <class Make>
std::vector<Made<Make>> query_all(Tx& tx, std::string_view sql, const std::vector<Value>& params,
                                  Make make) {
  auto rows = tx.query(sql, params);
  std::vector<Made<Make>> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(make(row));
  return out;
}

}  // namespace parley::storage
