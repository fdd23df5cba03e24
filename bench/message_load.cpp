// Message load generator: registers users, pairs them in direct conversations, sends at a target
// rate on an open-loop schedule (a message's latency counts from when it was due, so queueing
// shows), receives through long polls, and prints sent, delivered, lost, duplicates, throughput
// and delivery latency percentiles. A second mode holds many idle long polls and reports the
// server's RSS per poll. A third measures the floor: what one HTTP exchange costs on this machine
// (a bare GET /livez, and an authenticated long poll that has nothing to answer), in CPU of the
// server and of this client, to put a bound on messages per second that no storage work can lift.
//
// usage: message_load HOST PORT load  USERS RATE SECONDS SEND_CONNECTIONS [SERVER_PID]
//                                     (RATE 0: as fast as possible; with SERVER_PID, CPU per message)
//        message_load HOST PORT idle   POLLS SERVER_PID
//        message_load HOST PORT floor  SECONDS CONNECTIONS SERVER_PID

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <future>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
using asio::use_awaitable;

namespace {

std::string g_host;
unsigned short g_port = 0;

struct Conn {
  explicit Conn(asio::any_io_executor ex) : stream(ex) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

awaitable<std::unique_ptr<Conn>> connect(const std::string& source = {}) {
  auto ex = co_await asio::this_coro::executor;
  auto conn = std::make_unique<Conn>(ex);
  auto& socket = conn->stream.socket();
  socket.open(tcp::v4());
  if (!source.empty()) socket.bind(tcp::endpoint(asio::ip::make_address(source), 0));
  co_await socket.async_connect(tcp::endpoint(asio::ip::make_address(g_host), g_port), use_awaitable);
  socket.set_option(tcp::no_delay(true));
  co_return conn;
}

awaitable<http::response<http::string_body>> call(Conn& c, http::verb verb, const std::string& target,
                                                   const std::string& token = {}, const std::string& body = {}) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  co_await http::async_write(c.stream, req, use_awaitable);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  co_await http::async_read(c.stream, c.buffer, parser, use_awaitable);
  co_return parser.release();
}

struct User {
  std::string id, token, cursor, conversation;
  std::size_t index = 0;
};

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Reads VmRSS from a /proc status file opened once, before the sockets use up the fd limit
// (read with pread: stdio would serve its stale buffer).
long rss_kib(int status_fd) {
  char text[4096];
  ssize_t n = ::pread(status_fd, text, sizeof text - 1, 0);
  if (n <= 0) return -1;
  text[n] = '\0';
  const char* line = std::strstr(text, "VmRSS:");
  return line ? std::atol(line + 6) : -1;
}

// CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
double process_cpu_s(int pid) {
  if (pid <= 0) return 0;
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return 0;
  char text[2048];
  std::size_t n = std::fread(text, 1, sizeof text - 1, f);
  std::fclose(f);
  text[n] = '\0';
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const char* p = std::strrchr(text, ')');
  if (!p) return 0;
  unsigned long utime = 0, stime = 0;
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return 0;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_s() {
  rusage r{};
  ::getrusage(RUSAGE_SELF, &r);
  auto s = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(r.ru_utime) + s(r.ru_stime);
}

awaitable<std::vector<User>> make_users(std::size_t n, bool pair) {
  std::string prefix = "lg" + std::to_string(std::random_device{}() % 1000000) + "_";
  std::vector<User> users(n);
  // Registration is Argon2id-bound on the server: a few at a time.
  std::size_t next = 0;
  auto worker = [&]() -> awaitable<void> {
    auto c = co_await connect();
    while (next < n) {
      std::size_t i = next++;
      std::string name = prefix + std::to_string(i);
      std::string body = "{\"username\":\"" + name + "\",\"email\":\"" + name +
                         "@load.test\",\"password\":\"load-test-password\"}";
      auto res = co_await call(*c, http::verb::post, "/api/v1/auth/register", {}, body);
      if (res.result_int() != 201) throw std::runtime_error("register failed: " + res.body());
      auto v = json::parse(res.body());
      users[i].id = std::string(v.at("user").at("id").as_string());
      users[i].token = std::string(v.at("access_token").as_string());
      users[i].index = i;
    }
  };
  std::vector<std::future<void>> done;
  auto ex = co_await asio::this_coro::executor;
  for (int w = 0; w < 4; ++w) done.push_back(asio::co_spawn(ex, worker(), asio::use_future));
  for (auto& f : done)
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      asio::steady_timer t(ex, std::chrono::milliseconds(10));
      co_await t.async_wait(use_awaitable);
    }
  for (auto& f : done) f.get();
  auto c = co_await connect();
  for (auto& u : users) {
    auto res = co_await call(*c, http::verb::get, "/api/v1/sync", u.token);
    u.cursor = std::string(json::parse(res.body()).at("cursor").as_string());
  }
  if (pair)
    for (std::size_t i = 0; i + 1 < n; i += 2) {
      std::string body = "{\"kind\":\"direct\",\"user_id\":\"" + users[i + 1].id + "\"}";
      auto res = co_await call(*c, http::verb::post, "/api/v1/conversations", users[i].token, body);
      // Behind a gateway of separate services the new accounts reach the messages service a few
      // milliseconds after registering (events): until then it does not know the other user.
      for (int tries = 0; res.result_int() == 404 && tries < 100; ++tries) {
        asio::steady_timer t(ex, std::chrono::milliseconds(20));
        co_await t.async_wait(use_awaitable);
        res = co_await call(*c, http::verb::post, "/api/v1/conversations", users[i].token, body);
      }
      if (res.result_int() != 201) throw std::runtime_error("conversation failed: " + res.body());
      std::string id(json::parse(res.body()).at("id").as_string());
      users[i].conversation = users[i + 1].conversation = id;
    }
  co_return users;
}

template <class T>
T run(asio::io_context& ioc, awaitable<T> task) {
  auto f = asio::co_spawn(ioc, std::move(task), asio::use_future);
  ioc.restart();
  while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
  return f.get();
}

int load(std::size_t n_users, double rate, int seconds, std::size_t send_connections, int server_pid) {
  asio::io_context ioc;
  auto users = run(ioc, make_users(n_users, true));
  auto t0 = Clock::now();
  auto send_end = t0 + std::chrono::seconds(seconds);
  auto ns = [&](Clock::time_point t) { return std::chrono::duration_cast<std::chrono::nanoseconds>(t - t0).count(); };

  long sent = 0, failed = 0, delivered = 0, duplicates = 0, poll_answers = 0, poll_events = 0;
  double server_cpu0 = process_cpu_s(server_pid), own_cpu0 = own_cpu_s();
  std::vector<double> latency_ms;
  std::unordered_map<std::string, std::unordered_set<std::string>> seen;  // recipient -> message ids
  std::unordered_set<std::string> acked;                                   // recipient|message id
  bool receiving = true;

  // Receivers: one long-poll loop per user.
  for (auto& u : users)
    asio::co_spawn(ioc, [&, user = &u]() -> awaitable<void> {
      auto c = co_await connect();
      while (receiving) {
        auto res = co_await call(*c, http::verb::get, "/api/v1/sync?timeout_ms=1000&cursor=" + user->cursor, user->token);
        if (res.result_int() != 200) continue;
        auto now = Clock::now();
        auto v = json::parse(res.body());
        user->cursor = std::string(v.at("cursor").as_string());
        ++poll_answers;
        poll_events += static_cast<long>(v.at("events").as_array().size());
        for (auto& e : v.at("events").as_array()) {
          if (e.at("type").as_string() != "message.created") continue;
          auto& m = e.at("message").as_object();
          if (m.at("sender_id").as_string() == user->id) continue;  // our own echo
          std::string id(m.at("id").as_string());
          if (!seen[user->id].insert(id).second) {
            ++duplicates;
            continue;
          }
          ++delivered;
          std::string body(m.at("body").as_string());  // "due=<ns>"
          long long due = std::stoll(body.substr(4));
          latency_ms.push_back(static_cast<double>(ns(now) - due) / 1e6);
        }
      }
    }, asio::detached);

  // Senders: an open-loop schedule feeding a queue that send connections drain.
  std::deque<std::pair<std::size_t, long long>> due;  // sender index, due time (ns)
  bool scheduling = true;
  // Idle senders wait on this timer; the scheduler cancels one wait per message it queues.
  asio::steady_timer wake(ioc, asio::steady_timer::time_point::max());
  if (rate > 0)
    asio::co_spawn(ioc, [&]() -> awaitable<void> {
      asio::steady_timer timer(ioc);
      long k = 0;
      std::mt19937 rng(42);
      while (Clock::now() < send_end) {
        auto at = t0 + std::chrono::nanoseconds(static_cast<long long>(static_cast<double>(k) * 1e9 / rate));
        if (at > Clock::now()) {
          timer.expires_at(at);
          co_await timer.async_wait(use_awaitable);
        }
        due.emplace_back(rng() % users.size(), ns(at));
        wake.cancel_one();
        ++k;
      }
      scheduling = false;
      wake.cancel();
    }, asio::detached);
  std::size_t senders_done = 0;
  for (std::size_t s = 0; s < send_connections; ++s)
    asio::co_spawn(ioc, [&, s]() -> awaitable<void> {
      auto c = co_await connect();
      std::mt19937 pick(static_cast<std::mt19937::result_type>(1000 + s));  // as the fixed-rate schedule picks
      for (;;) {
        std::size_t who;
        long long due_ns;
        if (rate > 0) {
          if (due.empty()) {
            if (!scheduling) break;
            boost::system::error_code ec;
            co_await wake.async_wait(asio::redirect_error(use_awaitable, ec));
            continue;
          }
          std::tie(who, due_ns) = due.front();
          due.pop_front();
        } else {
          if (Clock::now() >= send_end) break;
          who = pick() % users.size();
          due_ns = ns(Clock::now());
        }
        auto& u = users[who];
        if (u.conversation.empty()) continue;
        auto res = co_await call(*c, http::verb::post, "/api/v1/conversations/" + u.conversation + "/messages",
                                 u.token, "{\"body\":\"due=" + std::to_string(due_ns) + "\"}");
        if (res.result_int() == 201) {
          ++sent;
        } else {
          ++failed;
        }
      }
    }, [&](std::exception_ptr e) {  // a connection the server dropped (or a server gone) ends its sender
      if (e) ++failed;
      ++senders_done;
    });

  ioc.restart();
  while (senders_done < send_connections) ioc.run_one();
  auto sending_time = std::chrono::duration<double>(Clock::now() - t0).count();
  auto drain_until = Clock::now() + std::chrono::seconds(5);
  while (delivered + duplicates < sent && Clock::now() < drain_until) ioc.run_one_for(std::chrono::milliseconds(10));
  receiving = false;
  auto total_time = std::chrono::duration<double>(Clock::now() - t0).count();
  double server_cpu = process_cpu_s(server_pid) - server_cpu0, own_cpu = own_cpu_s() - own_cpu0;
  ioc.stop();

  std::printf("message load: %zu users in %zu direct conversations, %zu send connections, %s for %d s\n", n_users,
              n_users / 2, send_connections, rate > 0 ? ("target " + std::to_string(static_cast<long>(rate)) + " msg/s").c_str() : "saturation",
              seconds);
  std::printf("  sent (2xx):        %ld   failed: %ld\n", sent, failed);
  std::printf("  delivered:         %ld   lost: %ld   duplicates: %ld\n", delivered, sent - delivered, duplicates);
  std::printf("  send throughput:   %.0f msg/s\n", static_cast<double>(sent) / sending_time);
  std::printf("  delivered/s:       %.0f msg/s (over %.1f s incl. drain)\n", static_cast<double>(delivered) / total_time, total_time);
  std::printf("  delivery latency:  p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  max %.2f ms\n", pct(latency_ms, 0.5),
              pct(latency_ms, 0.99), pct(latency_ms, 0.999), pct(latency_ms, 1.0));
  // Each message is one send plus its share of the long-poll answers (the recipient's, and the
  // sender's own echo): the HTTP exchanges per message bound the rate together with the floor.
  if (delivered > 0)
    std::printf("  HTTP exchanges:    %.2f per delivered message (sends + %ld poll answers, %.2f events each)\n",
                static_cast<double>(sent + poll_answers) / static_cast<double>(delivered), poll_answers,
                poll_answers ? static_cast<double>(poll_events) / static_cast<double>(poll_answers) : 0.0);
  if (server_pid > 0 && delivered > 0)
    std::printf("  CPU per message:   server %.0f us, load generator %.0f us\n", server_cpu * 1e6 / static_cast<double>(delivered),
                own_cpu * 1e6 / static_cast<double>(delivered));
  return (failed == 0 && duplicates == 0 && delivered == sent) ? 0 : 1;
}

// The cost of one HTTP/1.1 exchange here, with nothing behind it: CONNECTIONS keep-alive
// connections send back to back for SECONDS, first GET /livez, then an authenticated long poll
// whose user has nothing new (timeout_ms=0: auth, the in-memory tail, a small JSON answer).
int floor_run(int seconds, std::size_t connections, int server_pid) {
  asio::io_context ioc;
  auto users = run(ioc, make_users(1, false));
  auto& u = users[0];
  std::string poll = "/api/v1/sync?timeout_ms=0&cursor=" + u.cursor;
  int status = 0;
  for (int phase = 0; phase < 2; ++phase) {
    long done = 0, bad = 0;
    std::size_t finished = 0;
    auto end = Clock::now() + std::chrono::seconds(seconds);
    double server0 = process_cpu_s(server_pid), own0 = own_cpu_s();
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < connections; ++i)
      asio::co_spawn(ioc, [&]() -> awaitable<void> {
        auto c = co_await connect();
        while (Clock::now() < end) {
          http::response<http::string_body> res;
          if (phase == 0)
            res = co_await call(*c, http::verb::get, "/livez");
          else
            res = co_await call(*c, http::verb::get, poll, u.token);
          if (res.result_int() == 200)
            ++done;
          else
            ++bad;
        }
        ++finished;
      }, asio::detached);
    ioc.restart();
    while (finished < connections) ioc.run_one();
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    double server = process_cpu_s(server_pid) - server0, own = own_cpu_s() - own0;
    std::printf("floor, %s: %zu connections, %.0f exchanges/s (%ld failed)\n",
                phase == 0 ? "GET /livez" : "empty authenticated long poll", connections,
                static_cast<double>(done) / elapsed, bad);
    if (done > 0)
      std::printf("  CPU per exchange:  server %.1f us, load generator %.1f us, together %.1f us\n",
                  server * 1e6 / static_cast<double>(done), own * 1e6 / static_cast<double>(done),
                  (server + own) * 1e6 / static_cast<double>(done));
    if (bad > 0) status = 1;
  }
  return status;
}

int idle(std::size_t polls, int server_pid) {
  asio::io_context ioc;
  std::size_t n_users = std::max<std::size_t>(1, polls / 500);
  int status = ::open(("/proc/" + std::to_string(server_pid) + "/status").c_str(), O_RDONLY);
  if (status < 0) throw std::runtime_error("cannot read the server's /proc status");
  auto users = run(ioc, make_users(n_users, false));
  long before = rss_kib(status);
  std::size_t open = 0, failed = 0;
  // Several loopback source addresses: one gives only ~28k ephemeral ports.
  const char* sources[] = {"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"};
  std::vector<std::unique_ptr<Conn>> conns;
  for (std::size_t i = 0; i < polls; ++i)
    asio::co_spawn(ioc, [&, i]() -> awaitable<void> {
      try {
        auto c = co_await connect(sources[i % 4]);
        auto& u = users[i % users.size()];
        http::request<http::string_body> req{http::verb::get, "/api/v1/sync?timeout_ms=60000&cursor=" + u.cursor, 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::authorization, "Bearer " + u.token);
        req.keep_alive(true);
        co_await http::async_write(c->stream, req, use_awaitable);
        ++open;
        conns.push_back(std::move(c));
      } catch (const std::exception&) {
        ++failed;
      }
    }, asio::detached);
  auto deadline = Clock::now() + std::chrono::seconds(120);
  ioc.restart();
  while (open + failed < polls && Clock::now() < deadline) ioc.run_one_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // let the server park them all
  long after = rss_kib(status);
  std::printf("idle long polls: %zu open (%zu failed) over %zu users\n", open, failed, n_users);
  std::printf("  server RSS: %.1f MiB before, %.1f MiB with the polls held\n", before / 1024.0, after / 1024.0);
  std::printf("  RSS per held poll: %.2f KiB\n", open ? static_cast<double>(after - before) / static_cast<double>(open) : 0.0);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s HOST PORT load USERS RATE SECONDS SEND_CONNECTIONS [SERVER_PID] | idle POLLS SERVER_PID"
                         " | floor SECONDS CONNECTIONS SERVER_PID\n", argv[0]);
    return 2;
  }
  g_host = argv[1];
  g_port = static_cast<unsigned short>(std::atoi(argv[2]));
  std::string mode = argv[3];
  try {
    if (mode == "load" && argc >= 8)
      return load(std::stoul(argv[4]), std::stod(argv[5]), std::atoi(argv[6]), std::stoul(argv[7]), argc >= 9 ? std::atoi(argv[8]) : 0);
    if (mode == "floor" && argc >= 7) return floor_run(std::atoi(argv[4]), std::stoul(argv[5]), std::atoi(argv[6]));
    if (mode == "idle" && argc >= 6) return idle(std::stoul(argv[4]), std::atoi(argv[5]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "message_load: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "bad arguments\n");
  return 2;
}
