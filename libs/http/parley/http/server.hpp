#pragma once
// HTTP/1.1 server on Boost.Beast with C++20 coroutines. Beast stays in server.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace parley::http {

class Metrics;
class Router;

class Server {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;                    // 0 picks a free port
    std::size_t io_threads = 2;                   // one per core
    std::size_t body_limit = 1 << 20;             // bytes; larger bodies answer 413
    std::size_t header_limit = 16 * 1024;         // bytes of request line and headers; 431 past it
    std::size_t target_limit = 8 * 1024;          // bytes of request target; 414 past it
    // Once a request's first byte is in (on a new connection: from its opening), the request
    // line and headers must be in within header_timeout, and the whole request within
    // read_timeout; past either the connection is closed. Waiting for that first byte between
    // requests is the keep-alive idle wait.
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds read_timeout{30'000};
    std::chrono::milliseconds idle_timeout{75'000};
    std::chrono::milliseconds write_timeout{30'000};  // to send one response
    std::chrono::milliseconds request_timeout{30'000};  // handler deadline (Request::deadline)
    std::chrono::milliseconds shutdown_grace{5'000};  // in-flight requests get this long
    bool trust_forwarded_for = false;  // take the client address from X-Real-IP (behind nginx)
    // Connections past either cap are closed as soon as they are accepted, before any read.
    std::size_t max_connections = 100'000;
    // From one client address; not applied when trust_forwarded_for (every connection then comes
    // from the gateway, which limits per client itself). 0: no cap.
    std::size_t max_connections_per_address = 1024;
  };

  // Reads PARLEY_LISTEN, PARLEY_IO_THREADS, PARLEY_HTTP_* settings. The connection cap is lowered
  // to what the process's open-file limit leaves room for.
  static Options options_from_env();

  // Counts open and refused connections and read timeouts in metrics.
  Server(Options options, const Router& router, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; after this port() is known. Throws if the address is taken.
  void listen();
  std::uint16_t port() const;

  // Runs the I/O threads until shutdown completes. SIGINT and SIGTERM begin a graceful shutdown:
  // stop accepting, run the shutdown callbacks (which release waiting long polls), let in-flight
  // requests finish (up to shutdown_grace), close idle connections, return.
  void run();
  // Begins the graceful shutdown from any thread.
  void stop();
  // Called once, on an I/O thread, when shutdown begins.
  void on_shutdown(std::function<void()> callback);

  boost::asio::io_context& context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::http
