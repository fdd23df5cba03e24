#include "domain/sessions.hpp"

namespace parley::auth {

std::string clean_user_agent(std::string_view ua) {
  std::string out;
  for (char c : ua) {
    if (out.size() >= 256) break;
    if (c >= 0x20 && c < 0x7F) out.push_back(c);
  }
  return out;
}

RefreshVerdict judge_refresh(const PresentedRefresh& t) {
  if (!t.known || t.session_revoked) return RefreshVerdict::refuse;
  if (t.spent) return RefreshVerdict::revoke_session;
  if (t.expired) return RefreshVerdict::refuse;
  return RefreshVerdict::rotate;
}

}  // namespace parley::auth
