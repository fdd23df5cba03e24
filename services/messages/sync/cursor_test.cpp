#include "sync/cursor.hpp"

#include <gtest/gtest.h>

#include "parley/core/error.hpp"

namespace parley::messages {
namespace {

std::string parsed(std::string_view text) {
  try {
    return std::to_string(parse_sync_cursor(text, "a1b2c3d4e5f60718"));
  } catch (const Error& e) {
    return std::to_string(e.status()) + " " + e.code();
  }
}

TEST(SyncCursor, NamesTheLogAndAGseqInIt) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {sync_cursor_text("a1b2c3d4e5f60718", 0), "0"},
      {sync_cursor_text("a1b2c3d4e5f60718", 9'223'372'036'854'775'807), "9223372036854775807"},
      {"a1b2c3d4e5f60718:42", "42"},
      // Another database's log, or the old per-user log's cursor (digits): expired, start over.
      {"ffffffffffffffff:42", "410 cursor_expired"},
      {"42", "410 cursor_expired"},
      {"1234567890123456789", "410 cursor_expired"},
      // Malformed.
      {"", "400 invalid_argument"},
      {"12345678901234567890", "400 invalid_argument"},  // digits, too long for an old cursor
      {":42", "400 invalid_argument"},
      {"a1b2c3d4e5f60718:", "400 invalid_argument"},
      {"a1b2c3d4e5f60718:-1", "400 invalid_argument"},
      {"a1b2c3d4e5f60718:+1", "400 invalid_argument"},
      {"a1b2c3d4e5f60718:4 2", "400 invalid_argument"},
      {"a1b2c3d4e5f60718:99999999999999999999", "400 invalid_argument"},  // past int64
      {"not-hex!:42", "400 invalid_argument"},
      {std::string(33, 'a') + ":42", "400 invalid_argument"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(parsed(cases[i].text), cases[i].expected) << "case " << i;
}

}  // namespace
}  // namespace parley::messages
