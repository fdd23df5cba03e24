// RevocationCatchUp against a stand-in for auth's GET /internal/v1/revocations, served by the real
// HTTP server on a free port.

#include "parley/service/revocation_catch_up.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"
#include "parley/http/server.hpp"
#include "parley/service/service.hpp"

namespace parley::service {
namespace {

using namespace std::chrono_literals;

struct FakeAuth {
  explicit FakeAuth(const ServiceCredential& credential) : router(metrics) {
    add_internal_route(router, credential, "GET", "/internal/v1/revocations",
                       [this](http::Request& request) -> async::Task<http::Response> {
                         int call = ++calls;
                         std::string since(request.query_param("since").value_or(""));
                         {
                           std::lock_guard lock(mutex);
                           sinces.push_back(since);
                         }
                         if (call <= failures)
                           co_return http::Response::json(503, boost::json::object{});
                         co_return http::Response::json(
                             200, boost::json::object{{"since", since},
                                                      {"as_of", time::format_rfc3339(time::now())},
                                                      {"sessions", boost::json::array{"s-revoked"}},
                                                      {"users", boost::json::array{"u-deleted"}}});
                       });
    http::Server::Options o;
    o.port = 0;
    o.io_threads = 1;
    server = std::make_unique<http::Server>(o, router, metrics);
    server->listen();
    thread = std::thread([this] { server->run(); });
  }
  ~FakeAuth() {
    server->stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<http::Server> server;
  std::thread thread;
  std::atomic<int> calls{0};
  int failures = 0;  // the first calls answer 503
  std::mutex mutex;
  std::vector<std::string> sinces;
};

std::string token(const token::SigningKey& key, const std::string& sub, const std::string& sid) {
  token::Claims claims;
  claims.sub = sub;
  claims.sid = sid;
  claims.iss = "parley";
  claims.aud = "parley";
  claims.iat = time::to_unix_ms(time::now()) / 1000;
  claims.nbf = claims.iat;
  claims.exp = claims.iat + 600;
  return key.sign(claims);
}

bool until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(RevocationCatchUp, FeedsTheVerifierWhatAuthRevokedRetryingUntilAuthAnswers) {
  crypto::init();
  ServiceCredential credential("a-shared-secret-for-the-test");
  FakeAuth auth(credential);
  auth.failures = 2;
  auto key = token::SigningKey::from_seed("k1", std::string(32, '\x07'));
  token::Verifier verifier({});
  verifier.add_key(key.kid(), key.public_key());
  std::string revoked = token(key, "u-1", "s-revoked");
  std::string deleted = token(key, "u-deleted", "s-2");
  std::string fine = token(key, "u-3", "s-3");
  for (const auto& t : {revoked, deleted, fine}) EXPECT_NO_THROW(verifier.verify(t, time::now()));

  RevocationCatchUp catch_up(auth.url(), credential, verifier, {.first_retry = 20ms});
  catch_up.request();
  ASSERT_TRUE(until([&] { return catch_up.completed() == 1; }));
  EXPECT_EQ(auth.calls.load(), 3) << "two refusals, then the answer";
  EXPECT_THROW(verifier.verify(revoked, time::now()), Error);
  EXPECT_THROW(verifier.verify(deleted, time::now()), Error);
  EXPECT_NO_THROW(verifier.verify(fine, time::now()));

  // The first call asks from the longest token lifetime back; the next from a little before the
  // last answer.
  catch_up.request();
  ASSERT_TRUE(until([&] { return catch_up.completed() == 2; }));
  std::lock_guard lock(auth.mutex);
  auto first = time::parse_rfc3339(auth.sinces.front());
  auto last = time::parse_rfc3339(auth.sinces.back());
  ASSERT_TRUE(first && last);
  auto horizon =
      std::chrono::duration_cast<std::chrono::milliseconds>(verifier.revocation_horizon());
  EXPECT_NEAR(static_cast<double>((time::now() - *first).count()),
              static_cast<double>(horizon.count()), 10'000);
  EXPECT_NEAR(static_cast<double>((time::now() - *last).count()), 60'000, 10'000);
  catch_up.stop();
}

TEST(RevocationCatchUp, RefusesAnAuthUrlThatIsNotHttpHostPort) {
  ServiceCredential credential("a-shared-secret-for-the-test");
  token::Verifier verifier({});
  for (const char* bad :
       {"", "auth:8081", "https://auth:8081", "http://auth:8081/internal", "amqp://h/"})
    EXPECT_THROW(RevocationCatchUp(bad, credential, verifier), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace parley::service
