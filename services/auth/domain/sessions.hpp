#pragma once
// The rules of sessions: what is kept of the client that opens one, and what a refresh token
// presented for new tokens gets. No I/O: the caller reads the token's record.

#include <string>
#include <string_view>

namespace parley::auth {

// The client's User-Agent as a session keeps it: printable ASCII only, at most 256 characters,
// safe to store and show.
std::string clean_user_agent(std::string_view user_agent);

// What is recorded of a refresh token presented for a new pair of tokens.
struct PresentedRefresh {
  bool known = false;            // a session was given this token
  bool session_revoked = false;  // that session is revoked (logout, password change, theft)
  bool spent = false;            // it was already exchanged for a new pair (refresh tokens rotate)
  bool expired = false;
};

enum class RefreshVerdict {
  rotate,          // spend it for the next pair
  refuse,          // 401: unknown, expired, or its session revoked
  revoke_session,  // 401, and its whole session is revoked: a spent token came back, so two
                   // clients hold it and one of them stole it (theft detection)
};

// A spent token revokes its session even once expired: the theft is what it tells.
RefreshVerdict judge_refresh(const PresentedRefresh& token);

}  // namespace parley::auth
