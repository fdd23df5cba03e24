// Login benchmark: how many Argon2id logins per second the server completes, and how quickly it
// answers GET /livez meanwhile (the I/O threads must stay responsive while hashing runs on the
// worker pool). Prints its figures; run it through bench/run-login-bench.
//
// usage: login_bench HOST PORT [login_threads=8] [seconds=10]

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

struct Client {
  Client(const std::string& host, const std::string& port) : stream(ioc) {
    asio::ip::tcp::resolver resolver(ioc);
    stream.connect(resolver.resolve(host, port));
    stream.socket().set_option(asio::ip::tcp::no_delay(true));
  }
  int request(http::verb verb, const std::string& target, const std::string& body = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res.result_int();
  }
  asio::io_context ioc;
  beast::tcp_stream stream;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::vector<double> probe_livez(const std::string& host, const std::string& port, std::atomic<bool>& stop,
                                Clock::duration max_time) {
  Client client(host, port);
  std::vector<double> ms;
  auto end = Clock::now() + max_time;
  while (!stop && Clock::now() < end) {
    auto t0 = Clock::now();
    if (client.request(http::verb::get, "/livez") != 200) std::fprintf(stderr, "livez failed\n");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ms;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s HOST PORT [login_threads=8] [seconds=10]\n", argv[0]);
    return 2;
  }
  std::string host = argv[1], port = argv[2];
  int threads = argc > 3 ? std::atoi(argv[3]) : 8;
  int seconds = argc > 4 ? std::atoi(argv[4]) : 10;

  std::string user = "bench" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000000);
  std::string password = "bench-password-1";
  {
    Client c(host, port);
    int status = c.request(http::verb::post, "/api/v1/auth/register",
                           boost::json::serialize(boost::json::object{
                               {"username", user}, {"email", user + "@bench.test"}, {"password", password}}));
    if (status != 201) {
      std::fprintf(stderr, "register failed: %d\n", status);
      return 1;
    }
  }

  std::atomic<bool> stop{false};
  auto idle = probe_livez(host, port, stop, std::chrono::seconds(2));

  std::atomic<long> ok{0}, failed{0};
  std::string login_body = boost::json::serialize(boost::json::object{{"login", user}, {"password", password}});
  std::vector<std::thread> workers;
  auto started = Clock::now();
  for (int i = 0; i < threads; ++i)
    workers.emplace_back([&] {
      Client c(host, port);
      while (!stop) (c.request(http::verb::post, "/api/v1/auth/login", login_body) == 200 ? ok : failed)++;
    });
  std::vector<double> loaded;
  std::thread prober([&] { loaded = probe_livez(host, port, stop, std::chrono::seconds(seconds)); });
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  prober.join();
  for (auto& w : workers) w.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();

  std::printf("login benchmark: %d client threads, %.1f s, Argon2id m=19 MiB t=2 p=1\n", threads, elapsed);
  std::printf("  logins ok:            %ld (%ld failed)\n", ok.load(), failed.load());
  std::printf("  login throughput:     %.1f logins/s\n", static_cast<double>(ok.load()) / elapsed);
  std::printf("  /livez idle:          p50 %.3f ms  p99 %.3f ms  (%zu samples)\n", percentile(idle, 0.5),
              percentile(idle, 0.99), idle.size());
  std::printf("  /livez during storm:  p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%zu samples)\n",
              percentile(loaded, 0.5), percentile(loaded, 0.99), percentile(loaded, 1.0), loaded.size());
  return failed.load() == 0 ? 0 : 1;
}
