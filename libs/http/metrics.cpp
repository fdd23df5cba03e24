#include "parley/http/metrics.hpp"

#include <cstdio>
#include <sstream>

namespace parley::http {

namespace {
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') { out += "\\n"; continue; }
    out.push_back(c);
  }
  return out;
}
std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
}  // namespace

void Metrics::observe_request(std::string_view route, int status, double seconds) {
  std::atomic<std::uint64_t>* count;
  Histogram* histogram;
  {
    std::lock_guard lock(mutex_);
    auto& c = requests_[{std::string(route), status}];
    if (!c) c = std::make_unique<std::atomic<std::uint64_t>>(0);
    count = c.get();
    auto& h = latency_[std::string(route)];
    if (!h) h = std::make_unique<Histogram>();
    histogram = h.get();
  }
  count->fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) {
      histogram->buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  histogram->count.fetch_add(1, std::memory_order_relaxed);
  histogram->sum_micros.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::atomic<std::uint64_t>& Metrics::counter(const std::string& name, const std::string& help,
                                             const std::string& labels) {
  std::lock_guard lock(mutex_);
  Family& family = families_[name];
  family.help = help;
  family.type = "counter";
  auto& c = family.counters[labels];
  if (!c) c = std::make_unique<std::atomic<std::uint64_t>>(0);
  return *c;
}

void Metrics::gauge(const std::string& name, const std::string& help, const std::string& labels,
                    std::function<double()> read) {
  std::lock_guard lock(mutex_);
  Family& family = families_[name];
  family.help = help;
  family.type = "gauge";
  family.gauges[labels] = std::move(read);
}

std::string Metrics::render() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  out << "# HELP parley_http_requests_total HTTP requests by route and status.\n"
      << "# TYPE parley_http_requests_total counter\n";
  for (const auto& [key, value] : requests_)
    out << "parley_http_requests_total{route=\"" << escape_label(key.first) << "\",status=\""
        << key.second << "\"} " << value->load() << "\n";
  out << "# HELP parley_http_request_duration_seconds HTTP request latency by route.\n"
      << "# TYPE parley_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::string label = "route=\"" + escape_label(route) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h->buckets[i].load();
      out << "parley_http_request_duration_seconds_bucket{" << label << ",le=\""
          << fmt_double(kBuckets[i]) << "\"} " << cumulative << "\n";
    }
    out << "parley_http_request_duration_seconds_bucket{" << label << ",le=\"+Inf\"} "
        << h->count.load() << "\n";
    out << "parley_http_request_duration_seconds_sum{" << label << "} "
        << fmt_double(static_cast<double>(h->sum_micros.load()) / 1e6) << "\n";
    out << "parley_http_request_duration_seconds_count{" << label << "} " << h->count.load() << "\n";
  }
  for (const auto& [name, family] : families_) {
    out << "# HELP " << name << " " << family.help << "\n# TYPE " << name << " " << family.type << "\n";
    auto series = [&](const std::string& labels) {
      return labels.empty() ? name : name + "{" + labels + "}";
    };
    for (const auto& [labels, c] : family.counters) out << series(labels) << " " << c->load() << "\n";
    for (const auto& [labels, read] : family.gauges) out << series(labels) << " " << fmt_double(read()) << "\n";
  }
  return out.str();
}

}  // namespace parley::http
