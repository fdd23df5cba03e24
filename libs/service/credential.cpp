#include "parley/service/credential.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "parley/core/config.hpp"
#include "parley/core/crypto.hpp"
#include "parley/core/error.hpp"
#include "parley/core/log.hpp"
#include "parley/core/text.hpp"
#include "parley/http/message.hpp"

namespace parley::service {

namespace {

constexpr std::size_t kMinSecret = 16;
constexpr std::size_t kMaxSecret = 1024;

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw config::ConfigError("PARLEY_SERVICE_TOKEN_FILE: " + path + " " + why);
}

std::string errno_text() { return std::strerror(errno); }

// Writes a fresh secret to a temporary file beside path and links it to path. link() never
// replaces an existing file: when another process created path first, its secret stays.
void create_token_file(const std::string& path) {
  std::string temp = path + ".tmp-" + crypto::random_token(8);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(path, "cannot be created: " + errno_text());
  std::string content = crypto::random_token(32) + "\n";
  bool written =
      ::fchmod(fd, 0600) == 0 &&
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::fsync(fd) == 0;
  std::string why = written ? std::string() : errno_text();
  ::close(fd);
  if (written && ::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    written = false;
    why = errno_text();
  }
  ::unlink(temp.c_str());
  if (!written) fail(path, "cannot be created: " + why);
}

}  // namespace

std::string load_or_create_service_token(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) create_token_file(path);
  if (!std::filesystem::is_regular_file(path, ec)) fail(path, "is not a readable file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot be read");
  std::stringstream content;
  content << in.rdbuf();  // an empty file sets content's failbit only: "is empty" below
  if (in.bad()) fail(path, "cannot be read");
  std::string secret = text::trim(content.str());
  if (secret.empty()) fail(path, "is empty");
  bool printable =
      std::all_of(secret.begin(), secret.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  if (!printable || secret.size() < kMinSecret || secret.size() > kMaxSecret)
    fail(path, "must hold 16 to 1024 printable ASCII characters without spaces");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    log::warn("the service token file is readable by others; make it mode 0600",
              {{"setting", "PARLEY_SERVICE_TOKEN_FILE"}, {"path", path}});
  return secret;
}

ServiceCredential::ServiceCredential(std::string_view secret)
    : secret_(secret), digest_(crypto::sha256_hex(secret)) {}

void ServiceCredential::require(const http::Request& request) const {
  std::string_view value = request.header("authorization");
  if (value.empty()) throw Error::unauthenticated("missing Authorization: Service credential");
  constexpr std::string_view scheme = "service ";
  if (value.size() <= scheme.size() || text::ascii_lower(value.substr(0, scheme.size())) != scheme)
    throw Error::unauthenticated("internal endpoints need 'Authorization: Service <credential>'");
  std::string_view presented = value.substr(scheme.size());
  if (presented.size() > kMaxSecret ||
      !crypto::constant_time_equal(crypto::sha256_hex(presented), digest_))
    throw Error::unauthenticated("invalid service credential");
}

}  // namespace parley::service
