#include "parley/http/server.hpp"

#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "parley/core/config.hpp"
#include "parley/core/error.hpp"
#include "parley/core/ids.hpp"
#include "parley/core/log.hpp"
#include "parley/core/thread_name.hpp"
#include "parley/http/connection_limits.hpp"
#include "parley/http/metrics.hpp"
#include "parley/http/router.hpp"

namespace parley::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':'))
      return false;
  return true;
}

using Clock = std::chrono::steady_clock;

// The peer's address, or empty if the socket cannot tell (it is already gone).
template <class Socket>
std::string remote_address(const Socket& socket) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  return ec ? std::string() : remote.address().to_string();
}

struct Connection final : http::ClientWatch, std::enable_shared_from_this<Connection> {
  // REQUIRES: limits admitted remote_ip; the connection gives its place back when destroyed.
  Connection(tcp::socket socket, std::string remote_ip, ConnectionLimits& limits)
      : stream(std::move(socket)), remote_ip(std::move(remote_ip)), limits_(limits) {}
  ~Connection() override { limits_.release(remote_ip); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  beast::tcp_stream stream;
  const std::string remote_ip;  // the peer's address, read once at accept
  const Clock::time_point accepted_at = Clock::now();
  std::atomic<bool> idle{true};

  // ClientWatch: while a handler waits, the socket becoming readable means the client either
  // closed (a peek reads 0 bytes, or fails) or sent more (a pipelined request: it is still there).
  void watch(std::function<void()> fn) override {
    if (gone_) {
      fn();
      return;
    }
    on_gone_ = std::move(fn);
    if (!watching_) arm();
  }
  bool gone() const override { return gone_; }
  // After the handler: no more calls; a wait still pending is cancelled (nothing else is pending
  // on the socket between reading a request and writing its answer).
  void unwatch() {
    on_gone_ = nullptr;
    ++generation_;
    if (watching_) {
      watching_ = false;
      boost::system::error_code ec;
      stream.socket().cancel(ec);
    }
  }

 private:
  void arm() {
    watching_ = true;
    stream.socket().async_wait(tcp::socket::wait_read,
                               [self = shared_from_this(), generation = generation_](boost::system::error_code ec) {
                                 if (generation != self->generation_) return;  // unwatched meanwhile
                                 self->watching_ = false;
                                 if (ec) return;
                                 char byte;
                                 ssize_t n = ::recv(self->stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
                                 if (n > 0) return;  // more from the client: it is there
                                 if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                                   if (self->on_gone_) self->arm();
                                   return;
                                 }
                                 self->gone_ = true;
                                 if (auto fn = std::exchange(self->on_gone_, nullptr)) fn();
                               });
  }
  ConnectionLimits& limits_;
  std::function<void()> on_gone_;
  bool watching_ = false, gone_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace

Server::Options Server::options_from_env() {
  Options o;
  auto listen = config::get_listen("PARLEY_LISTEN", "127.0.0.1:8080");
  o.host = listen.host;
  o.port = listen.port;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  o.io_threads = static_cast<std::size_t>(config::get_int("PARLEY_IO_THREADS", cores, 1, 256));
  o.body_limit = static_cast<std::size_t>(config::get_int("PARLEY_HTTP_BODY_LIMIT", 1 << 20, 1024, 64 << 20));
  o.read_timeout = std::chrono::milliseconds(config::get_int("PARLEY_HTTP_READ_TIMEOUT_MS", 30'000, 100, 600'000));
  o.header_timeout = std::chrono::milliseconds(
      config::get_int("PARLEY_HTTP_HEADER_TIMEOUT_MS", 10'000, 100, 600'000));
  o.trust_forwarded_for = config::get_bool("PARLEY_TRUST_PROXY", false);
  auto wanted = static_cast<std::size_t>(
      config::get_int("PARLEY_HTTP_MAX_CONNECTIONS", 100'000, 1, 10'000'000));
  rlimit files{};
  o.max_connections = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
                          ? connection_cap_within(wanted, static_cast<std::size_t>(files.rlim_cur))
                          : wanted;
  if (o.max_connections < wanted)
    log::info("connection cap lowered to fit the open-file limit",
              {{"setting", "PARLEY_HTTP_MAX_CONNECTIONS"},
               {"wanted", static_cast<std::int64_t>(wanted)},
               {"cap", static_cast<std::int64_t>(o.max_connections)},
               {"open_file_limit", static_cast<std::int64_t>(files.rlim_cur)}});
  o.max_connections_per_address = static_cast<std::size_t>(
      config::get_int("PARLEY_HTTP_MAX_CONNECTIONS_PER_IP", 1024, 1, 10'000'000));
  return o;
}

struct Server::Impl {
  static constexpr const char* kRefusedHelp =
      "Connections closed as soon as accepted because a cap was reached, by cap (total, "
      "per_address).";
  static constexpr const char* kTimeoutHelp =
      "Connections closed because a request was not in within its deadline, by what was missing "
      "(header: the request line and headers, PARLEY_HTTP_HEADER_TIMEOUT_MS; body: the rest, "
      "PARLEY_HTTP_READ_TIMEOUT_MS).";

  Impl(Options o, const Router& r, Metrics& metrics)
      : options(std::move(o)),
        router(r),
        limits({.max_total = options.max_connections,
                .max_per_address =
                    options.trust_forwarded_for ? 0 : options.max_connections_per_address}),
        refused_total(metrics.counter("parley_http_connections_refused_total", kRefusedHelp,
                                      R"(reason="total")")),
        refused_per_address(metrics.counter("parley_http_connections_refused_total", kRefusedHelp,
                                            R"(reason="per_address")")),
        header_timeouts(
            metrics.counter("parley_http_read_timeouts_total", kTimeoutHelp, R"(phase="header")")),
        body_timeouts(
            metrics.counter("parley_http_read_timeouts_total", kTimeoutHelp, R"(phase="body")")),
        ioc(1),
        acceptor(ioc) {
    metrics.gauge("parley_http_connections_open", "Open client connections.", "",
                  [this] { return static_cast<double>(limits.open()); });
    // One io_context per I/O thread, each run by one thread: a connection stays on one thread
    // (no strand needed) and connections spread evenly. ioc is the first; it also accepts.
    for (std::size_t i = 1; i < options.io_threads; ++i) extra.push_back(std::make_unique<asio::io_context>(1));
  }

  Options options;
  const Router& router;
  ConnectionLimits limits;
  std::atomic<std::uint64_t>& refused_total;
  std::atomic<std::uint64_t>& refused_per_address;
  std::atomic<std::uint64_t>& header_timeouts;
  std::atomic<std::uint64_t>& body_timeouts;
  asio::io_context ioc;
  std::vector<std::unique_ptr<asio::io_context>> extra;
  std::size_t next_context = 0;

  asio::io_context& pick_context() {
    std::size_t i = next_context++ % (extra.size() + 1);
    return i == 0 ? ioc : *extra[i - 1];
  }
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::list<std::weak_ptr<Connection>> connections;
  std::vector<std::function<void()>> shutdown_callbacks;
  std::atomic<std::size_t> active{0};
  std::unique_ptr<asio::steady_timer> grace_timer;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(pick_context(), use_tuple);
      if (stopping) co_return;
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        log::warn("accept failed", {{"error", ec.message()}});
        asio::steady_timer backoff(ioc, std::chrono::milliseconds(50));
        co_await backoff.async_wait(use_tuple);
        continue;
      }
      boost::system::error_code ignored;
      std::string address = remote_address(socket);
      switch (limits.admit(address)) {
        case ConnectionLimits::Verdict::admitted:
          break;
        case ConnectionLimits::Verdict::over_total:
          ++refused_total;
          socket.close(ignored);
          continue;
        case ConnectionLimits::Verdict::over_per_address:
          ++refused_per_address;
          socket.close(ignored);
          continue;
      }
      socket.set_option(tcp::no_delay(true), ignored);
      auto conn = std::make_shared<Connection>(std::move(socket), std::move(address), limits);
      {
        std::lock_guard lock(mutex);
        connections.push_back(conn);
        if (connections.size() % 1024 == 0)
          connections.remove_if([](const auto& w) { return w.expired(); });
      }
      ++active;
      auto executor = conn->stream.get_executor();
      asio::co_spawn(executor, session(conn), [this](std::exception_ptr e) {
        if (e) {
          try { std::rethrow_exception(e); } catch (const std::exception& ex) {
            log::error("connection failed", {{"error", ex.what()}});
          } catch (...) {}
        }
        if (--active == 0 && stopping) asio::post(ioc, [this] { finish(); });
      });
    }
  }

  static Response simple_error(const Error& e) {
    return Response::text(e.status(), e.envelope(), "application/json; charset=utf-8");
  }

  // Sends r (its body is moved out). An answer to HEAD keeps its Content-Length and sends no body.
  // Not cached unless r says otherwise (the web app's files do).
  asio::awaitable<void> write(Connection& conn, Response& r, unsigned version, bool keep_alive,
                              const std::string& request_id, bool head = false) {
    bhttp::response<bhttp::string_body> res;
    res.version(version);
    res.result(static_cast<unsigned>(r.status));
    if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res.insert(k, v);
    if (!request_id.empty()) res.set("X-Request-Id", request_id);
    if (res.find(bhttp::field::cache_control) == res.end())
      res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(keep_alive);
    if (head && r.status != 204 && r.status != 304) {
      res.content_length(r.body.size());
    } else {
      res.body() = std::move(r.body);
      res.prepare_payload();
    }
    conn.stream.expires_after(options.write_timeout);
    co_await bhttp::async_write(conn.stream, res, use_tuple);
  }

  // After refusing a request whose body we will not read, drain a little of it so that the
  // client sees our answer instead of a connection reset.
  asio::awaitable<void> linger_close(Connection& conn) {
    boost::system::error_code ec;
    conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    conn.stream.expires_after(std::chrono::seconds(2));
    std::array<char, 16384> sink;
    std::size_t drained = 0;
    while (drained < (8u << 20)) {
      auto [rec, n] = co_await conn.stream.async_read_some(asio::buffer(sink), use_tuple);
      if (rec) break;
      drained += n;
    }
    conn.stream.socket().close(ec);
  }

  // The client's X-Request-Id if it sent a sane one, else a new id.
  static std::string request_id_of(const bhttp::request<bhttp::string_body>& msg) {
    std::string_view client_id(msg["X-Request-Id"].data(), msg["X-Request-Id"].size());
    return sane_request_id(client_id) ? std::string(client_id) : ids::uuid_v7();
  }

  // Builds the handler's Request from Beast's message; answers bad targets itself.
  std::optional<Response> to_request(bhttp::request<bhttp::string_body>& msg, Connection& conn, Request& request) {
    request.request_id = request_id_of(msg);
    std::string_view target(msg.target().data(), msg.target().size());
    if (target.size() > options.target_limit) return simple_error(Error(414, "invalid_argument", "request target too long"));
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return simple_error(Error::invalid_argument("malformed request target"));
    request.method = std::string(msg.method_string());
    request.target = std::string(target);
    request.path = std::string(url->path());
    for (auto param : url->params()) request.query.emplace(param.key, param.value);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.remote_ip = conn.remote_ip;
    if (options.trust_forwarded_for) {
      auto real = request.header("x-real-ip");
      if (!real.empty() && real.size() <= 64) request.remote_ip = std::string(real);
    }
    request.body = std::move(msg.body());
    return std::nullopt;
  }

  enum class Read { request, closed, refused };

  // Reads the next request into request (or a refusal of it into early). Its own coroutine, so
  // that Beast's parser and read state live in a frame of their own, freed before the handler
  // runs: a long poll that waits for a minute holds neither (the session's frame would keep
  // room for them all along).
  // first: the connection's first request, whose header deadline counts from the connection's
  // opening; a later one's counts from its first byte, after the keep-alive idle wait.
  asio::awaitable<Read> read_request(Connection& conn, beast::flat_buffer& buffer, Request& request,
                                     std::optional<Response>& early, unsigned& version,
                                     bool& keep_alive, bool first) {
    auto header_by = conn.accepted_at + options.header_timeout;
    if (buffer.size() == 0) {  // (else a pipelined request has begun)
      conn.stream.expires_at(first ? header_by : Clock::now() + options.idle_timeout);
      constexpr std::size_t kFirstRead = 1024;
      auto [ec, n] = co_await conn.stream.async_read_some(buffer.prepare(kFirstRead), use_tuple);
      if (ec) {
        if (first && ec == beast::error::timeout) ++header_timeouts;  // opened, and nothing said
        co_return Read::closed;
      }
      buffer.commit(n);
    }
    auto began = Clock::now();
    if (!first) header_by = began + options.header_timeout;
    auto whole_by = began + options.read_timeout;
    conn.stream.expires_at(std::min(header_by, whole_by));
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    // The header first, whole, so that a refusal of its body can carry the client's request id
    // (Beast refuses a Content-Length over the limit at that field, before later ones).
    parser.body_limit(boost::none);
    auto [ec, bytes] = co_await bhttp::async_read_header(conn.stream, buffer, parser, use_tuple);
    conn.idle = false;
    if (!ec) {
      auto length = parser.content_length();
      if (length && *length > options.body_limit) {
        ec = bhttp::error::body_limit;
      } else {
        parser.body_limit(options.body_limit);  // for a chunked body
        conn.stream.expires_at(whole_by);
        std::tie(ec, bytes) = co_await bhttp::async_read(conn.stream, buffer, parser, use_tuple);
      }
    }
    if (ec) {
      if (ec == beast::error::timeout)
        ++(parser.is_header_done() ? body_timeouts : header_timeouts);
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof || ec == asio::error::bad_descriptor)
        co_return Read::closed;
      Error e = ec == bhttp::error::body_limit     ? Error::payload_too_large()
                : ec == bhttp::error::header_limit ? Error(431, "invalid_argument", "request headers too large")
                                                   : Error(400, "invalid_argument", "malformed HTTP request");
      // Locals, not temporaries, as co_await's arguments: GCC 12 destroys some temporaries of a
      // co_await expression twice (a conditional's above all).
      std::string id = parser.is_header_done() ? request_id_of(parser.get()) : ids::uuid_v7();
      Response refusal = simple_error(e);
      co_await write(conn, refusal, 11, false, id);
      co_await linger_close(conn);
      co_return Read::refused;
    }
    auto& msg = parser.get();
    version = msg.version();
    keep_alive = msg.keep_alive() && !stopping;
    early = to_request(msg, conn, request);
    co_return Read::request;
  }

  asio::awaitable<void> session(std::shared_ptr<Connection> conn) {
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      conn->idle = true;
      if (stopping) break;
      Request request;
      std::optional<Response> early;
      unsigned version = 11;
      bool keep_alive = false;
      Read read = co_await read_request(*conn, buffer, request, early, version, keep_alive, first);
      first = false;
      if (read == Read::closed) break;
      if (read == Read::refused) co_return;
      if (buffer.size() == 0) buffer.shrink_to_fit();  // nothing pipelined: give the memory back
      Response response;
      if (early) {
        response = std::move(*early);
      } else {
        conn->stream.expires_never();
        request.client = conn.get();
        response = co_await router.dispatch(request);
        conn->unwatch();
      }
      keep_alive = keep_alive && !stopping;
      bool head = request.method == "HEAD";
      co_await write(*conn, response, version, keep_alive, request.request_id, head);
      if (!keep_alive) break;
    }
    boost::system::error_code ec;
    conn->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    conn->stream.socket().close(ec);
  }

  void begin_stop() {
    if (stopping.exchange(true)) return;
    log::info("shutting down", {{"in_flight_connections", static_cast<std::int64_t>(active.load())}});
    boost::system::error_code ec;
    acceptor.close(ec);
    for (auto& callback : shutdown_callbacks) callback();
    std::vector<std::shared_ptr<Connection>> alive;
    {
      std::lock_guard lock(mutex);
      for (auto& weak : connections)
        if (auto c = weak.lock()) alive.push_back(std::move(c));
    }
    for (auto& c : alive)
      asio::post(c->stream.get_executor(), [c] {
        if (c->idle) c->stream.cancel();
      });
    grace_timer = std::make_unique<asio::steady_timer>(ioc, options.shutdown_grace);
    grace_timer->async_wait([this](boost::system::error_code e) {
      if (!e) {
        log::warn("shutdown grace period over; closing remaining connections",
                  {{"connections", static_cast<std::int64_t>(active.load())}});
        stop_all();
      }
    });
    if (active == 0) finish();
  }

  void finish() {
    if (grace_timer) grace_timer->cancel();
    stop_all();
  }

  void stop_all() {
    ioc.stop();
    for (auto& c : extra) c->stop();
  }
};

Server::Server(Options options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}
Server::~Server() = default;

void Server::listen() {
  auto& a = impl_->acceptor;
  tcp::endpoint endpoint(asio::ip::make_address(impl_->options.host), impl_->options.port);
  a.open(endpoint.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(endpoint);
  a.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  asio::signal_set signals(impl_->ioc, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) impl_->begin_stop();
  });
  std::vector<std::thread> threads;
  for (auto& context : impl_->extra)
    threads.emplace_back([this, c = context.get()] {
      name_this_thread("io");
      auto work = asio::make_work_guard(*c);  // idle until connections arrive; stop() ends it
      c->run();
    });
  impl_->ioc.run();  // the calling thread serves too, keeping the process name
  for (auto& t : threads) t.join();
}

void Server::stop() {
  asio::post(impl_->ioc, [this] { impl_->begin_stop(); });
}

void Server::on_shutdown(std::function<void()> callback) {
  impl_->shutdown_callbacks.push_back(std::move(callback));
}

boost::asio::io_context& Server::context() { return impl_->ioc; }

}  // namespace parley::http
