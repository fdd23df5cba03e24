#pragma once
// Prometheus text-format metrics: request counts by route and status, a latency histogram per
// route, and named counters and gauges registered by the services.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace parley::http {

class Metrics {
 public:
  static constexpr std::array<double, 16> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                                      5,      10,    30,     60};

  void observe_request(std::string_view route, int status, double seconds);

  // A monotonically increasing counter; the reference stays valid for the Metrics' lifetime.
  // labels is Prometheus label text without braces, e.g. R"(service="auth")", or empty.
  std::atomic<std::uint64_t>& counter(const std::string& name, const std::string& help,
                                      const std::string& labels = {});
  // A gauge read when /metrics is scraped.
  void gauge(const std::string& name, const std::string& help, const std::string& labels,
             std::function<double()> read);

  std::string render() const;

 private:
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_micros{0};
  };
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, std::unique_ptr<std::atomic<std::uint64_t>>> counters;  // by labels
    std::map<std::string, std::function<double()>> gauges;                        // by labels
  };

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::unique_ptr<std::atomic<std::uint64_t>>> requests_;
  std::map<std::string, std::unique_ptr<Histogram>> latency_;
  std::map<std::string, Family> families_;
};

}  // namespace parley::http
