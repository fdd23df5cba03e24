#include "parley/storage/query.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::storage {
namespace {

// A transaction whose every query selects the given rows, and that remembers what it was asked.
class CannedTx final : public Tx {
 public:
  explicit CannedTx(Rows rows) : rows_(std::move(rows)) {}
  std::string sql;
  std::vector<Value> params;
  // Tx
  std::int64_t exec(std::string_view, const std::vector<Value>&) override { return 0; }
  Rows query(std::string_view s, const std::vector<Value>& p) override {
    sql = s;
    params = p;
    return rows_;
  }
  void exec_script(std::string_view) override {}
  Dialect dialect() const override { return Dialect::sqlite; }
  void after_commit(std::function<void()>) override {}

 private:
  Rows rows_;
};

std::string name_of(const Row& row) { return row.text(0) + "#" + std::to_string(row.integer(1)); }

TEST(Query, MakesTheFirstRowOrNothingAndEveryRowInOrder) {
  struct Case {
    Rows rows;
    std::optional<std::string> one;
    std::vector<std::string> all;
  };
  const std::vector<Case> cases = {
      {{}, std::nullopt, {}},
      {{Row({std::string("ann"), std::int64_t{1}})}, "ann#1", {"ann#1"}},
      {{Row({std::string("ann"), std::int64_t{1}}), Row({std::string("bo"), std::int64_t{2}})},
       "ann#1",
       {"ann#1", "bo#2"}},
  };
  for (const auto& c : cases) {
    CannedTx tx(c.rows);
    EXPECT_EQ(query_one(tx, "SELECT name, n FROM t WHERE id = ?", {std::string("x")}, name_of),
              c.one);
    EXPECT_EQ(tx.sql, "SELECT name, n FROM t WHERE id = ?");
    ASSERT_EQ(tx.params.size(), 1u);
    EXPECT_EQ(std::get<std::string>(tx.params[0]), "x");
    EXPECT_EQ(query_all(tx, "SELECT name, n FROM t", {}, name_of), c.all);
  }
}

}  // namespace
}  // namespace parley::storage
