#pragma once
// Private to store/*.cpp: what their SQL has in common.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "parley/storage/database.hpp"

namespace parley::messages::store::detail {

inline bool mysql(storage::Tx& tx) { return tx.dialect() == storage::Dialect::mysql; }

// The pair in the order the tables key it (smaller id first).
inline std::pair<std::string, std::string> ordered(const std::string& a, const std::string& b) {
  return a < b ? std::pair{a, b} : std::pair{b, a};
}

// Calls f(from, to) for consecutive ranges of at most size of [0, n): statements over many rows
// stay a bounded size (and a bounded number of distinct prepared statements).
template <class F>
void in_chunks(std::size_t n, std::size_t size, F&& f) {
  for (std::size_t from = 0; from < n; from += size) f(from, std::min(n, from + size));
}


}  // namespace parley::messages::store::detail
