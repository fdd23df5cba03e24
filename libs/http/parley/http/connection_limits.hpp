#pragma once
// Counts open connections, in total and per client address, and refuses one past either cap.
// Plain bookkeeping (no sockets): the server asks before serving a connection it accepted.

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::http {

class ConnectionLimits {
 public:
  struct Options {
    std::size_t max_total = 100'000;     // open connections in all
    std::size_t max_per_address = 1024;  // open connections from one client address; 0: no cap
  };
  enum class Verdict { admitted, over_total, over_per_address };

  explicit ConnectionLimits(Options options) : options_(options) {}
  ConnectionLimits(const ConnectionLimits&) = delete;
  ConnectionLimits& operator=(const ConnectionLimits&) = delete;

  // Any thread. Counts a connection from address if both caps allow it; a refused one is not
  // counted. REQUIRES: release(address) once for each admitted connection, when it closes.
  Verdict admit(std::string_view address);
  void release(std::string_view address);

  std::size_t open() const;
  std::size_t open_from(std::string_view address) const;

 private:
  const Options options_;
  mutable std::mutex mutex_;
  std::size_t open_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;  // addresses with a connection open
};

// The highest connection cap the process's open-file limit leaves room for: room is kept for its
// own files (databases, the broker, logs), a quarter of the limit up to 1024. At least 1.
std::size_t connection_cap_within(std::size_t wanted, std::size_t open_file_limit);

}  // namespace parley::http
