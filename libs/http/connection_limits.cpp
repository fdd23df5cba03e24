#include "parley/http/connection_limits.hpp"

#include <algorithm>

namespace parley::http {

ConnectionLimits::Verdict ConnectionLimits::admit(std::string_view address) {
  std::lock_guard lock(mutex_);
  if (open_ >= options_.max_total) return Verdict::over_total;
  if (options_.max_per_address > 0) {
    auto it = per_address_.find(std::string(address));
    if (it != per_address_.end() && it->second >= options_.max_per_address)
      return Verdict::over_per_address;
    if (it == per_address_.end()) it = per_address_.emplace(std::string(address), 0).first;
    ++it->second;
  }
  ++open_;
  return Verdict::admitted;
}

void ConnectionLimits::release(std::string_view address) {
  std::lock_guard lock(mutex_);
  if (open_ > 0) --open_;
  if (options_.max_per_address == 0) return;
  auto it = per_address_.find(std::string(address));
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
}

std::size_t ConnectionLimits::open() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t ConnectionLimits::open_from(std::string_view address) const {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(std::string(address));
  return it == per_address_.end() ? 0 : it->second;
}

std::size_t connection_cap_within(std::size_t wanted, std::size_t open_file_limit) {
  std::size_t reserve = std::min<std::size_t>(1024, open_file_limit / 4);
  std::size_t room = open_file_limit > reserve ? open_file_limit - reserve : 0;
  return std::max<std::size_t>(1, std::min(wanted, room));
}

}  // namespace parley::http
