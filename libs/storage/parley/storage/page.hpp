#pragma once
// Reading one page of a list: the store is asked for one row more than the page holds, and that
// extra row, never shown, says whether another page follows.

#include <cstdint>
#include <vector>

namespace parley::storage {

template <class T>
struct Page {
  std::vector<T> items;  // at most the page's limit
  bool more = false;     // rows follow the last item
};

// How many rows to read for a page of limit items.
constexpr std::int64_t rows_for_page(std::int64_t limit) { return limit + 1; }

// The page in rows, read with rows_for_page(limit).
template <class T>
Page<T> page_of(std::vector<T> rows, std::int64_t limit) {
  Page<T> page{std::move(rows), false};
  if (static_cast<std::int64_t>(page.items.size()) > limit) {
    page.items.resize(static_cast<std::size_t>(limit));
    page.more = true;
  }
  return page;
}

}  // namespace parley::storage
