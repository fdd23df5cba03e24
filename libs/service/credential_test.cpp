#include "parley/service/credential.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "parley/async/run_blocking.hpp"
#include "parley/core/config.hpp"
#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"
#include "parley/http/metrics.hpp"
#include "parley/service/service.hpp"

namespace parley::service {
namespace {

namespace fs = std::filesystem;

const std::string kSecret = "0123456789abcdef-the-shared-secret";

http::Request with_authorization(std::string value) {
  http::Request request;
  request.method = "GET";
  request.path = "/internal/v1/ping";
  if (!value.empty()) request.headers.emplace_back("authorization", std::move(value));
  return request;
}

// A fresh directory per test, removed afterwards.
class TokenFileTest : public ::testing::Test {
 protected:
  TokenFileTest() {
    crypto::init();
    dir_ = fs::temp_directory_path() /
           ("parley-credential-" + std::to_string(::getpid()) + "-" + crypto::random_token(4));
    fs::create_directories(dir_);
  }
  ~TokenFileTest() override { fs::remove_all(dir_); }
  std::string path(const char* name = "service-token") const { return (dir_ / name).string(); }
  void write(const std::string& p, const std::string& content) const {
    std::ofstream(p) << content;
  }
  fs::path dir_;
};

TEST(ServiceCredential, AcceptsOnlyTheServiceSchemeWithTheSecret) {
  crypto::init();
  ServiceCredential credential(kSecret);
  EXPECT_NO_THROW(credential.require(with_authorization("Service " + kSecret)));
  EXPECT_NO_THROW(
      credential.require(with_authorization("service " + kSecret)));  // schemes ignore case
  EXPECT_NO_THROW(credential.require(with_authorization(credential.authorization())));

  struct Case {
    const char* why;
    std::string header;
  };
  const std::vector<Case> refused = {
      {"no header", ""},
      {"a user's access token", "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"},
      {"the secret as a bearer token", "Bearer " + kSecret},
      {"the scheme alone", "Service"},
      {"the scheme and a space", "Service "},
      {"a wrong secret", "Service not-the-shared-secret-at-all"},
      {"a prefix of the secret", "Service " + kSecret.substr(0, kSecret.size() - 1)},
      {"the secret and more", "Service " + kSecret + "x"},
      {"a space too many", "Service  " + kSecret},
      {"no space", "Service" + kSecret},
      {"the bare secret", kSecret},
      {"an overlong value", "Service " + std::string(5000, 'a')},
  };
  for (const auto& c : refused) {
    try {
      credential.require(with_authorization(c.header));
      ADD_FAILURE() << c.why << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.status(), 401) << c.why;
      EXPECT_EQ(e.code(), "unauthenticated") << c.why;
      EXPECT_EQ(e.message().find(kSecret), std::string::npos) << c.why;
    }
  }
}

TEST(InternalRoute, AnswersUnauthenticatedBeforeTheHandlerRuns) {
  crypto::init();
  ServiceCredential credential(kSecret);
  http::Metrics metrics;
  http::Router router(metrics);
  int calls = 0;
  add_internal_route(router, credential, "GET", "/internal/v1/ping",
                     [&calls](http::Request&) -> async::Task<http::Response> {
                       ++calls;
                       co_return http::Response::text(200, "pong");
                     });

  auto refused = with_authorization("Bearer " + kSecret);
  auto response = async::run_blocking(router.dispatch(refused));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(boost::json::parse(response.body).at("error").at("code").as_string(),
            "unauthenticated");
  EXPECT_EQ(calls, 0);

  auto allowed = with_authorization("Service " + kSecret);
  response = async::run_blocking(router.dispatch(allowed));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "pong");
  EXPECT_EQ(calls, 1);

  EXPECT_THROW(add_internal_route(router, credential, "GET", "/api/v1/open", {}), std::logic_error);
}

// A service's route table: its public routes open to anyone, its /internal/ ones guarded.
class PingHandlers {
 public:
  async::Task<http::Response> ping(http::Request&) { co_return http::Response::text(200, "pong"); }
};

TEST(InternalRoute, ARouteTableGuardsItsInternalRoutesOnly) {
  crypto::init();
  ServiceCredential credential(kSecret);
  http::Metrics metrics;
  http::Router router(metrics);
  PingHandlers handlers;
  add_routes(router, credential, handlers,
             {{"GET", "/api/v1/ping", &PingHandlers::ping}, {"GET", "/internal/v1/ping", &PingHandlers::ping}});

  auto open = with_authorization("");
  open.path = "/api/v1/ping";
  EXPECT_EQ(async::run_blocking(router.dispatch(open)).status, 200);
  auto refused = with_authorization("");
  EXPECT_EQ(async::run_blocking(router.dispatch(refused)).status, 401);
  auto allowed = with_authorization("Service " + kSecret);
  EXPECT_EQ(async::run_blocking(router.dispatch(allowed)).status, 200);
}

TEST_F(TokenFileTest, CreatesAMissingFileWithMode0600AndReadsItBack) {
  std::string first = load_or_create_service_token(path());
  EXPECT_EQ(first.size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_TRUE(crypto::base64url_decode(first).has_value());
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_or_create_service_token(path()), first);  // kept, not replaced
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(TokenFileTest, ProcessesStartingTogetherShareOneSecret) {
  constexpr int kRacers = 16;
  for (int round = 0; round < 20; ++round) {
    std::string p = path(("token-" + std::to_string(round)).c_str());
    std::vector<std::string> seen(kRacers);
    std::vector<std::thread> racers;
    for (int i = 0; i < kRacers; ++i)
      racers.emplace_back([&, i] { seen[i] = load_or_create_service_token(p); });
    for (auto& t : racers) t.join();
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1u) << "round " << round;
    EXPECT_EQ(seen[0], load_or_create_service_token(p));
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 20);
}

TEST_F(TokenFileTest, KeepsAnOperatorsSecretAndIgnoresSurroundingWhitespace) {
  write(path(), "  " + kSecret + "\n");
  EXPECT_EQ(load_or_create_service_token(path()), kSecret);
}

TEST_F(TokenFileTest, RefusesFilesThatCannotHoldASecretNamingTheSettingNotTheSecret) {
  struct Case {
    const char* why;
    std::string content;
  };
  const std::vector<Case> bad = {
      {"empty", ""},
      {"whitespace only", " \n\t\n"},
      {"too short", "short-secret"},
      {"inner space", "0123456789 abcdef-secret"},
      {"control character", "0123456789abcdef\x01secret"},
  };
  for (const auto& c : bad) {
    write(path(), c.content);
    try {
      load_or_create_service_token(path());
      ADD_FAILURE() << c.why << " was accepted";
    } catch (const config::ConfigError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("PARLEY_SERVICE_TOKEN_FILE"), std::string::npos) << what;
      EXPECT_NE(what.find(path()), std::string::npos) << what;
      if (c.content.find_first_not_of(" \n\t") != std::string::npos) {
        EXPECT_EQ(what.find(c.content), std::string::npos) << what;
      }
    }
  }
  // A directory where the file should be, and a directory that does not exist.
  fs::create_directories(dir_ / "a-directory");
  EXPECT_THROW(load_or_create_service_token(path("a-directory")), config::ConfigError);
  EXPECT_THROW(load_or_create_service_token(path("missing/service-token")), config::ConfigError);
}

TEST_F(TokenFileTest, RefusesAnUnreadableFile) {
  write(path(), kSecret);
  fs::permissions(path(), fs::perms::none);
  if (::geteuid() != 0) {
    EXPECT_THROW(load_or_create_service_token(path()), config::ConfigError);
    return;
  }
  // Root reads any file (CI runs as root): ask as an unprivileged user, in a child process.
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  EXPECT_EXIT(
      {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) std::_Exit(2);
        try {
          load_or_create_service_token(path());
        } catch (const config::ConfigError&) {
          std::_Exit(0);
        } catch (...) {
          std::_Exit(3);
        }
        std::_Exit(1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace parley::service
