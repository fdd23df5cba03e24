#include "parley/storage/page.hpp"

#include <gtest/gtest.h>

namespace parley::storage {
namespace {

TEST(Page, ReadsOneRowMoreThanItShowsAndSaysWhetherMoreFollow) {
  struct Case {
    std::vector<int> rows;
    std::int64_t limit;
    std::vector<int> items;
    bool more;
  };
  const std::vector<Case> cases = {
      {{}, 3, {}, false},
      {{1, 2}, 3, {1, 2}, false},
      {{1, 2, 3}, 3, {1, 2, 3}, false},
      {{1, 2, 3, 4}, 3, {1, 2, 3}, true},
      {{1}, 0, {}, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(rows_for_page(c.limit), c.limit + 1);
    auto page = page_of(c.rows, c.limit);
    EXPECT_EQ(page.items, c.items) << "limit " << c.limit << ", " << c.rows.size() << " rows";
    EXPECT_EQ(page.more, c.more) << "limit " << c.limit << ", " << c.rows.size() << " rows";
  }
}

}  // namespace
}  // namespace parley::storage
