#include "parley/http/router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

#include "parley/async/run_blocking.hpp"
#include "parley/core/error.hpp"
#include "parley/http/metrics.hpp"

namespace parley::http {
namespace {

Response call(const Router& router, std::string method, std::string path) {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  return async::run_blocking(router.dispatch(request));
}

std::string error_code(const Response& r) {
  return std::string(boost::json::parse(r.body).at("error").at("code").as_string());
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router(metrics) {
    router.add("GET", "/api/v1/users/{id}", [](Request& r) -> async::Task<Response> {
      co_return Response::text(200, r.param("id"));
    });
    router.add("GET", "/api/v1/users/me", [](Request&) -> async::Task<Response> {
      co_return Response::text(200, "me");
    });
    router.add("POST", "/api/v1/fail", [](Request&) -> async::Task<Response> {
      throw Error::conflict("username_taken", "taken");
      co_return Response{};
    });
    router.add("POST", "/api/v1/crash", [](Request&) -> async::Task<Response> {
      throw std::runtime_error("SELECT * FROM secret");
      co_return Response{};
    });
    router.add("POST", "/api/v1/database-away", [](Request&) -> async::Task<Response> {
      throw DependencyFailure("mysql: connection lost: SELECT * FROM secret");
      co_return Response{};
    });
  }
  Metrics metrics;
  Router router;
};

TEST_F(RouterTest, MatchesPathParameters) {
  EXPECT_EQ(call(router, "GET", "/api/v1/users/abc").body, "abc");
  EXPECT_EQ(call(router, "GET", "/api/v1/users/abc/").body, "abc");
}

TEST_F(RouterTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  auto missing = call(router, "GET", "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(error_code(missing), "not_found");
  auto wrong = call(router, "DELETE", "/api/v1/users/abc");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(error_code(wrong), "method_not_allowed");
  ASSERT_FALSE(wrong.headers.empty());
  EXPECT_EQ(wrong.headers[0].first, "Allow");
  EXPECT_EQ(wrong.headers[0].second, "GET");
  EXPECT_EQ(call(router, "GET", "/api/v1/fail").headers[0].second, "POST");
}

TEST_F(RouterTest, ErrorsMapToTheEnvelopeAndInternalsDoNotLeak) {
  auto conflict = call(router, "POST", "/api/v1/fail");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(error_code(conflict), "username_taken");
  auto crash = call(router, "POST", "/api/v1/crash");
  EXPECT_EQ(crash.status, 500);
  EXPECT_EQ(error_code(crash), "internal");
  EXPECT_EQ(crash.body.find("SELECT"), std::string::npos);
}

TEST_F(RouterTest, AFailedDependencyIs503UnavailableWithoutItsDetail) {
  auto away = call(router, "POST", "/api/v1/database-away");
  EXPECT_EQ(away.status, 503);
  EXPECT_EQ(error_code(away), "unavailable");
  EXPECT_EQ(away.body.find("SELECT"), std::string::npos);
}

TEST(RouterDeadline, SlowHandlerAnswers503AtTheDeadline) {
  Metrics metrics;
  Router router(metrics, std::chrono::milliseconds(50));
  router.add("GET", "/slow", [](Request&) -> async::Task<Response> {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::seconds(2));
    co_await t.async_wait(boost::asio::use_awaitable);
    co_return Response::text(200, "late");
  });
  router.add("GET", "/patient", [](Request&) -> async::Task<Response> {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(100));
    co_await t.async_wait(boost::asio::use_awaitable);
    co_return Response::text(200, "in time");
  }, std::chrono::seconds(5));
  auto started = std::chrono::steady_clock::now();
  Request slow;
  slow.method = "GET";
  slow.path = "/slow";
  boost::asio::io_context ioc;
  auto future = boost::asio::co_spawn(ioc, router.dispatch(slow), boost::asio::use_future);
  // The slow handler would answer after 2 s; the deadline answers first.
  while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
         std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500))
    ioc.run_one_for(std::chrono::milliseconds(10));
  ASSERT_EQ(future.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto answer = future.get();
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(answer.body.find("may still take effect"), std::string::npos) << answer.body;
  EXPECT_EQ(call(router, "GET", "/patient").body, "in time");
}

TEST_F(RouterTest, TheFallbackAnswersUnmatchedGetAndHeadUnderItsOwnLabel) {
  router.set_fallback("(web)", [](const Request& r) -> std::optional<Response> {
    if (r.path.starts_with("/api/")) return std::nullopt;
    return Response::text(200, "page", "text/html; charset=utf-8");
  });
  EXPECT_EQ(call(router, "GET", "/conversations/abc").body, "page");
  EXPECT_EQ(call(router, "HEAD", "/").body, "page");
  EXPECT_EQ(error_code(call(router, "POST", "/conversations/abc")), "not_found");
  EXPECT_EQ(error_code(call(router, "GET", "/api/v1/nothing")), "not_found");
  EXPECT_EQ(call(router, "GET", "/api/v1/users/me").body, "me");  // routes come first
  EXPECT_EQ(call(router, "GET", "/api/v1/fail").status, 405);
  std::string text = metrics.render();
  EXPECT_NE(text.find("parley_http_requests_total{route=\"(web)\",status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("/conversations/abc"), std::string::npos);
}

TEST_F(RouterTest, CountsRequestsByRouteAndStatus) {
  call(router, "GET", "/api/v1/users/x");
  call(router, "GET", "/api/v1/users/y");
  std::string text = metrics.render();
  EXPECT_NE(text.find("parley_http_requests_total{route=\"/api/v1/users/{id}\",status=\"200\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("parley_http_request_duration_seconds_count{route=\"/api/v1/users/{id}\"} 2"), std::string::npos);
}

}  // namespace
}  // namespace parley::http
