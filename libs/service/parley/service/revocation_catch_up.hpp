#pragma once
// Revocations a token verifier may have missed. They reach other processes as events on a
// transient queue, which holds nothing while the process is down or cut off from the broker: a
// process that starts, or whose subscription is bound again after an outage, asks auth for the
// sessions revoked and accounts deleted meanwhile (GET /internal/v1/revocations?since=, with the
// service credential) and feeds its verifier. Not used in the all-in-one (one process: nothing
// is missed).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "parley/core/time.hpp"
#include "parley/service/credential.hpp"
#include "parley/token/jwt.hpp"

namespace parley::service {

struct CatchUpOptions {
  std::chrono::milliseconds request_timeout{5000};  // one call to auth, connection included
  std::chrono::milliseconds first_retry{250};       // after a failed call; doubled each time
  std::chrono::milliseconds max_retry{5000};
  std::chrono::seconds overlap{60};  // asks again from this long before the last answer's as_of
};

class RevocationCatchUp {
 public:
  // auth_url: http://host:port of a process hosting auth (PARLEY_AUTH_INTERNAL_URL); throws
  // std::invalid_argument for anything else.
  RevocationCatchUp(std::string_view auth_url, const ServiceCredential& credential,
                    token::Verifier& verifier, CatchUpOptions options = {});
  ~RevocationCatchUp();
  RevocationCatchUp(const RevocationCatchUp&) = delete;
  RevocationCatchUp& operator=(const RevocationCatchUp&) = delete;

  // Asks for a catch-up: a thread of its own calls auth, retrying until it answers. Cheap; from
  // any thread (the bus's, when the revocation subscription is bound).
  void request();
  // Ends the thread (a call in progress finishes or times out first).
  void stop();
  // Catch-ups completed so far (for tests and logs).
  std::uint64_t completed() const;

 private:
  void run();
  // One call to auth; feeds the verifier; throws on any failure.
  void fetch_once();

  std::string host_;
  std::string port_;
  const ServiceCredential& credential_;
  token::Verifier& verifier_;
  CatchUpOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stopping_ = false;
  std::uint64_t completed_ = 0;
  std::optional<time::TimePoint> last_as_of_;  // auth's clock at the last answer
  std::thread thread_;
};

}  // namespace parley::service
