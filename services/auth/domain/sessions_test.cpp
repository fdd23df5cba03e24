#include "domain/sessions.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace parley::auth {
namespace {

TEST(JudgeRefresh, RotatesALiveTokenOnceAndRevokesTheSessionWhenASpentOneComesBack) {
  using enum RefreshVerdict;
  struct Case {
    PresentedRefresh token;
    RefreshVerdict expected;
  };
  const std::vector<Case> cases = {
      {{.known = true}, rotate},
      {{.known = false}, refuse},
      {{.known = true, .expired = true}, refuse},
      {{.known = true, .session_revoked = true}, refuse},
      {{.known = true, .spent = true}, revoke_session},
      // Theft shows whenever the spent token comes back, even after it expired...
      {{.known = true, .spent = true, .expired = true}, revoke_session},
      // ...but a session revoked already has nothing more to revoke.
      {{.known = true, .session_revoked = true, .spent = true}, refuse},
  };
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(judge_refresh(cases[i].token), cases[i].expected) << "case " << i;
}

TEST(CleanUserAgent, KeepsPrintableAsciiUpTo256Characters) {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (X11; Linux x86_64)"},
      {"evil\r\nSet-Cookie: x\x01", "evilSet-Cookie: x"},
      {"caf\xc3\xa9 \x7f", "caf "},
      {std::string(300, 'a'), std::string(256, 'a')},
  };
  for (const auto& c : cases) EXPECT_EQ(clean_user_agent(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace parley::auth
