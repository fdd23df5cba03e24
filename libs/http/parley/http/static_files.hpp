#pragma once
// The built web app (Vite's output: index.html, assets/<name>-<hash>.js|css, a few top-level
// files, and a .gz beside each compressible file), loaded into memory once and served for the
// GET and HEAD requests no route matches. No Beast here.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "parley/http/message.hpp"

namespace parley::http {

// What a request path names in the web app. Pure: `exists` says whether a loaded file has this
// relative path ("index.html", "assets/app-1a2b.js").
struct WebTarget {
  enum class Kind {
    not_web,    // the path belongs to the API, /internal/ or the operations endpoints
    file,       // `file` names a loaded file
    index,      // no such file: the app's index.html answers (its router shows the page)
    not_found,  // a missing file under /assets/, or a path with . or .. segments: 404
  };
  Kind kind = Kind::not_web;
  std::string file;  // for Kind::file
};
// path: the request's decoded path.
WebTarget resolve_web_path(std::string_view path,
                           const std::function<bool(std::string_view)>& exists);

// True when an Accept-Encoding header value accepts gzip (gzip or * without q=0).
bool accepts_gzip(std::string_view accept_encoding);

// True when an If-None-Match header value lists etag (or is *), compared weakly.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

class StaticFiles {
 public:
  struct Options {
    std::string root;  // folder of the built web app
    std::size_t max_total_bytes = 64
                                  << 20;  // more than this (files and .gz together) refuses to load
  };

  // Loads every regular file under root, skipping dotfiles and dot folders, and symlinks that
  // lead outside root (with a warning). A "<file>.gz" beside "<file>" is its gzip encoding, not
  // a file of its own. Throws std::runtime_error when root cannot be read, holds no index.html,
  // or is larger than max_total_bytes.
  static std::unique_ptr<StaticFiles> load(const Options& options);

  // The answer to a GET or HEAD request for the web app, or nullopt when the path is not the
  // web app's (see resolve_web_path). Files under /assets/ are cached for a year (immutable);
  // everything else, index.html above all, is revalidated (no-cache) through its ETag.
  std::optional<Response> serve(const Request& request) const;

  std::size_t file_count() const { return files_.size(); }
  std::size_t total_bytes() const { return total_bytes_; }

  struct File {
    std::string content_type;
    std::string body;
    std::string etag;  // strong, quoted
    std::optional<std::string> gzip;
    std::string gzip_etag;
  };

 private:
  StaticFiles() = default;
  std::map<std::string, File, std::less<>> files_;  // by path relative to the root, '/'-separated
  std::size_t total_bytes_ = 0;
};

// The Content-Type for a file name, by its extension (application/octet-stream when unknown).
std::string content_type_for(std::string_view file_name);

}  // namespace parley::http
