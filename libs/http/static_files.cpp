#include "parley/http/static_files.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "parley/core/crypto.hpp"
#include "parley/core/log.hpp"
#include "parley/core/text.hpp"

namespace parley::http {

namespace fs = std::filesystem;

namespace {

// The first path segments that are never the web app's.
constexpr std::array<std::string_view, 5> kReserved = {"api", "internal", "livez", "readyz",
                                                       "metrics"};

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; manifest-src 'self'";

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string_view trim(std::string_view t) {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  return t;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A q-value of zero ("0", "0.", "0.0", ... "0.000"): the coding is not acceptable.
bool is_zero_quality(std::string_view q) {
  return !q.empty() && q.front() == '0' && q.find_first_not_of("0.") == std::string_view::npos;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  if (!in && !in.eof()) throw std::runtime_error("cannot read " + path.string());
  return std::move(out).str();
}

bool is_within(const fs::path& root, const fs::path& path) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

std::string make_etag(std::string_view content) {
  return "\"" + crypto::sha256_hex(content).substr(0, 32) + "\"";
}

}  // namespace

WebTarget resolve_web_path(std::string_view path,
                           const std::function<bool(std::string_view)>& exists) {
  std::vector<std::string_view> segments;
  for (std::string_view segment : split(path, '/'))
    if (!segment.empty()) segments.push_back(segment);
  if (!segments.empty() &&
      std::find(kReserved.begin(), kReserved.end(), segments[0]) != kReserved.end())
    return {WebTarget::Kind::not_web, {}};
  for (std::string_view segment : segments)
    if (segment == "." || segment == ".." || segment.find('\\') != std::string_view::npos ||
        segment.find('\0') != std::string_view::npos)
      return {WebTarget::Kind::not_found, {}};
  if (segments.empty()) return {WebTarget::Kind::index, {}};
  std::string file;
  for (std::string_view segment : segments) {
    if (!file.empty()) file += '/';
    file += segment;
  }
  if (exists(file)) return {WebTarget::Kind::file, std::move(file)};
  // A hashed asset that is not there must not come back as HTML (the browser would run or
  // apply index.html as a script or style sheet).
  if (segments[0] == "assets") return {WebTarget::Kind::not_found, {}};
  return {WebTarget::Kind::index, {}};
}

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<bool> gzip, any;
  for (std::string_view item : split(accept_encoding, ',')) {
    auto parts = split(item, ';');
    std::string coding = text::ascii_lower(trim(parts[0]));
    bool acceptable = true;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      std::string_view param = trim(parts[i]);
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
        acceptable = !is_zero_quality(trim(param.substr(2)));
    }
    if (coding == "gzip" || coding == "x-gzip")
      gzip = acceptable;
    else if (coding == "*")
      any = acceptable;
  }
  return gzip ? *gzip : any.value_or(false);
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  auto opaque = [](std::string_view tag) { return tag.substr(0, 2) == "W/" ? tag.substr(2) : tag; };
  if (trim(if_none_match) == "*") return true;
  for (std::string_view candidate : split(if_none_match, ','))
    if (!trim(candidate).empty() && opaque(trim(candidate)) == opaque(etag)) return true;
  return false;
}

std::string content_type_for(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 19> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".gif", "image/gif"},
      {".avif", "image/avif"},
      {".wasm", "application/wasm"},
  }};
  std::string lower = text::ascii_lower(name);
  for (const auto& [extension, type] : kTypes)
    if (ends_with(lower, extension)) return std::string(type);
  return "application/octet-stream";
}

std::unique_ptr<StaticFiles> StaticFiles::load(const Options& options) {
  std::error_code ec;
  fs::path root = fs::canonical(options.root, ec);
  if (ec) throw std::runtime_error("cannot read " + options.root + ": " + ec.message());
  if (!fs::is_directory(root)) throw std::runtime_error(options.root + " is not a folder");

  std::map<std::string, std::string, std::less<>> raw;  // relative path -> content
  std::size_t total = 0;
  fs::recursive_directory_iterator it(root, ec), end;
  if (ec) throw std::runtime_error("cannot read " + options.root + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) throw std::runtime_error("cannot read " + options.root + ": " + ec.message());
    const fs::directory_entry& entry = *it;
    if (entry.path().filename().string().starts_with('.')) {
      if (entry.is_directory()) it.disable_recursion_pending();
      continue;
    }
    fs::path target = entry.path();
    if (entry.is_symlink()) {
      // Directory symlinks are not followed (the iterator's default); file symlinks only within
      // root.
      fs::path resolved = fs::canonical(entry.path(), ec);
      if (ec || !is_within(root, resolved)) {
        log::warn("web app: skipping a symlink that leads outside its folder",
                  {{"path", entry.path().string()}});
        ec.clear();
        continue;
      }
      target = resolved;
    }
    if (!fs::is_regular_file(target)) continue;
    std::string content = read_file(target);
    total += content.size();
    if (total > options.max_total_bytes)
      throw std::runtime_error(options.root + " holds more than " +
                               std::to_string(options.max_total_bytes) + " bytes");
    raw.emplace(entry.path().lexically_relative(root).generic_string(), std::move(content));
  }
  if (!raw.contains("index.html")) throw std::runtime_error(options.root + " has no index.html");

  std::unique_ptr<StaticFiles> files(new StaticFiles());
  files->total_bytes_ = total;
  for (auto& [name, content] : raw) {
    if (ends_with(name, ".gz") && raw.contains(std::string_view(name).substr(0, name.size() - 3)))
      continue;
    File file;
    file.content_type = content_type_for(name);
    file.etag = make_etag(content);
    file.body = std::move(content);  // a .gz beside it is looked up, never this
    if (auto gz = raw.find(name + ".gz"); gz != raw.end()) {
      file.gzip = gz->second;
      file.gzip_etag = make_etag(gz->second);
    }
    files->files_.emplace(name, std::move(file));
  }
  return files;
}

std::optional<Response> StaticFiles::serve(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  WebTarget target = resolve_web_path(
      request.path, [this](std::string_view name) { return files_.contains(name); });
  if (target.kind == WebTarget::Kind::not_web) return std::nullopt;
  if (target.kind == WebTarget::Kind::not_found) {
    Response missing = Response::text(404, "not found\n");
    missing.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return missing;
  }
  const std::string name = target.kind == WebTarget::Kind::index ? "index.html" : target.file;
  const File& file = files_.find(name)->second;

  Response r;
  bool gzip = file.gzip && accepts_gzip(request.header("accept-encoding"));
  const std::string& etag = gzip ? file.gzip_etag : file.etag;
  r.headers.emplace_back("Cache-Control", name.starts_with("assets/")
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
  r.headers.emplace_back("ETag", etag);
  if (file.gzip) r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (file.content_type.starts_with("text/html")) {
    r.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
  }
  if (etag_matches(request.header("if-none-match"), etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.status = 200;
  r.content_type = file.content_type;
  if (gzip) r.headers.emplace_back("Content-Encoding", "gzip");
  r.body = gzip ? *file.gzip : file.body;
  return r;
}

}  // namespace parley::http
