#include "parley/service/revocation_catch_up.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <stdexcept>

#include "parley/core/log.hpp"
#include "parley/core/thread_name.hpp"

namespace parley::service {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

RevocationCatchUp::RevocationCatchUp(std::string_view auth_url, const ServiceCredential& credential,
                                     token::Verifier& verifier, CatchUpOptions options)
    : credential_(credential), verifier_(verifier), options_(options) {
  auto url = boost::urls::parse_uri(auth_url);
  if (!url || url->scheme() != "http" || url->host().empty() ||
      (!url->path().empty() && url->path() != "/"))
    throw std::invalid_argument("must look like http://host:port");
  host_ = std::string(url->host());
  port_ = url->has_port() ? std::string(url->port()) : "80";
  thread_ = std::thread([this] {
    name_this_thread("revocations");
    run();
  });
}

RevocationCatchUp::~RevocationCatchUp() { stop(); }

void RevocationCatchUp::request() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  cv_.notify_all();
}

void RevocationCatchUp::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t RevocationCatchUp::completed() const {
  std::lock_guard lock(mutex_);
  return completed_;
}

void RevocationCatchUp::run() {
  auto retry = options_.first_retry;
  bool warned = false;
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return requested_ || stopping_; });
    if (stopping_) return;
    requested_ = false;  // a request arriving during the call asks for one more
    lock.unlock();
    bool ok = false;
    try {
      fetch_once();
      ok = true;
      retry = options_.first_retry;
      warned = false;
    } catch (const std::exception& e) {
      if (!warned)
        log::warn("cannot ask auth for missed revocations; retrying",
                  {{"auth", host_ + ":" + port_}, {"error", e.what()}});
      warned = true;
    }
    lock.lock();
    if (ok) {
      ++completed_;
      continue;
    }
    requested_ = true;  // until auth answers
    cv_.wait_for(lock, retry, [&] { return stopping_; });
    retry = std::min(retry * 2, options_.max_retry);
  }
}

void RevocationCatchUp::fetch_once() {
  auto horizon = verifier_.revocation_horizon();
  time::TimePoint since;
  {
    std::lock_guard lock(mutex_);
    since = last_as_of_ ? *last_as_of_ - options_.overlap : time::now() - horizon;
  }
  bhttp::request<bhttp::empty_body> req{
      bhttp::verb::get, "/internal/v1/revocations?since=" + time::format_rfc3339(since), 11};
  req.set(bhttp::field::host, host_ + ":" + port_);
  req.set(bhttp::field::authorization, credential_.authorization());
  bhttp::response<bhttp::string_body> res;

  asio::io_context ioc;
  std::exception_ptr failure;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::ip::tcp::resolver resolver(ioc);
        beast::tcp_stream stream(ioc);
        stream.expires_after(options_.request_timeout);  // every step below, together
        auto endpoints = co_await resolver.async_resolve(host_, port_, asio::use_awaitable);
        co_await stream.async_connect(endpoints, asio::use_awaitable);
        co_await bhttp::async_write(stream, req, asio::use_awaitable);
        beast::flat_buffer buffer;
        co_await bhttp::async_read(stream, buffer, res, asio::use_awaitable);
        beast::error_code ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      },
      [&](std::exception_ptr e) { failure = e; });
  ioc.run();
  if (failure) std::rethrow_exception(failure);
  if (res.result_int() != 200)
    throw std::runtime_error("auth answered " + std::to_string(res.result_int()) + ": " +
                             res.body().substr(0, 200));

  auto body = boost::json::parse(res.body()).as_object();
  auto as_of = time::parse_rfc3339(body.at("as_of").as_string());
  if (!as_of) throw std::runtime_error("auth's answer has no as_of");
  auto until = time::now() + horizon;
  std::size_t sessions = 0, users = 0;
  for (const auto& sid : body.at("sessions").as_array()) {
    verifier_.revoke_session(std::string(sid.as_string()), until);
    ++sessions;
  }
  for (const auto& uid : body.at("users").as_array()) {
    verifier_.revoke_user(std::string(uid.as_string()), until);
    ++users;
  }
  {
    std::lock_guard lock(mutex_);
    last_as_of_ = *as_of;
  }
  log::info("revocations caught up from auth", {{"since", time::format_rfc3339(since)},
                                                {"sessions", static_cast<std::int64_t>(sessions)},
                                                {"users", static_cast<std::int64_t>(users)}});
}

}  // namespace parley::service
