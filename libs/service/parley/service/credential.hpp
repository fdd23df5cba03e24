#pragma once
// The service credential: one secret shared by every Parley process (PARLEY_SERVICE_TOKEN_FILE),
// which a service presents as "Authorization: Service <secret>" when it calls another service's
// /internal/v1/... endpoints. Users' access tokens never open those endpoints.

#include <string>
#include <string_view>

namespace parley::http {
struct Request;
}

namespace parley::service {

// Reads the secret held in the file at path, first creating the file when it does not exist:
// 32 random bytes, base64url, mode 0600, written to a temporary file and linked into place, so
// that processes starting together all end up with the one secret that won. Surrounding
// whitespace is ignored. Throws config::ConfigError naming PARLEY_SERVICE_TOKEN_FILE and the path
// (never the secret) when the file cannot be created or read, is empty, or holds anything but
// 16-1024 printable ASCII characters without spaces.
std::string load_or_create_service_token(const std::string& path);

class ServiceCredential {
 public:
  // REQUIRES: secret as load_or_create_service_token returns it.
  explicit ServiceCredential(std::string_view secret);
  ServiceCredential(const ServiceCredential&) = delete;
  ServiceCredential& operator=(const ServiceCredential&) = delete;

  // Throws Error::unauthenticated unless the request carries "Authorization: Service <secret>"
  // (scheme in any case) with this secret, compared in constant time.
  void require(const http::Request& request) const;
  // The Authorization header value that passes require(), for callers of internal endpoints.
  std::string authorization() const { return "Service " + secret_; }

 private:
  std::string secret_;
  std::string digest_;  // SHA-256 of the secret: comparing digests hides the secret's length
};

}  // namespace parley::service
