#include "parley/http/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "parley/core/crypto.hpp"

namespace parley::http {
namespace {

namespace fs = std::filesystem;
using Kind = WebTarget::Kind;

TEST(ResolveWebPath, NamesAFileTheIndexOrNothing) {
  std::set<std::string, std::less<>> files = {"index.html", "favicon.ico", "assets/app-abc123.js",
                                              "robots.txt", "icons/a.png"};
  auto exists = [&](std::string_view p) { return files.contains(p); };
  struct Case {
    std::string path;
    Kind kind;
    std::string file;
  };
  const Case cases[] = {
      {"/", Kind::index, ""},
      {"", Kind::index, ""},
      {"/index.html", Kind::file, "index.html"},
      {"/favicon.ico", Kind::file, "favicon.ico"},
      {"/assets/app-abc123.js", Kind::file, "assets/app-abc123.js"},
      {"//assets//app-abc123.js", Kind::file, "assets/app-abc123.js"},
      {"/icons/a.png", Kind::file, "icons/a.png"},
      {"/conversations/0190aaaa", Kind::index, ""},  // the app's own route, on reload
      {"/conversations/", Kind::index, ""},
      {"/settings", Kind::index, ""},
      {"/icons/missing.png", Kind::index, ""},
      {"/.env", Kind::index, ""},  // dotfiles are never loaded
      {"/assets/missing-1.js", Kind::not_found, ""},
      {"/assets/", Kind::not_found, ""},
      {"/assets", Kind::not_found, ""},
      {"/../etc/passwd", Kind::not_found, ""},
      {"/assets/../index.html", Kind::not_found, ""},
      {"/a/./b", Kind::not_found, ""},
      {"/..", Kind::not_found, ""},
      {"/a\\..\\b", Kind::not_found, ""},
      {std::string("/a\0b", 4), Kind::not_found, ""},
      {"/api/v1/nope", Kind::not_web, ""},
      {"/api", Kind::not_web, ""},
      {"//api/v1/x", Kind::not_web, ""},
      {"/api/../index.html", Kind::not_web, ""},  // the API's to refuse
      {"/internal/v1/users/x", Kind::not_web, ""},
      {"/livez", Kind::not_web, ""},
      {"/readyz", Kind::not_web, ""},
      {"/metrics", Kind::not_web, ""},
      {"/apis", Kind::index, ""},
      {"/metrics.html", Kind::index, ""},
  };
  for (const auto& c : cases) {
    WebTarget t = resolve_web_path(c.path, exists);
    EXPECT_EQ(t.kind, c.kind) << c.path;
    EXPECT_EQ(t.file, c.file) << c.path;
  }
}

TEST(AcceptsGzip, ReadsCodingsAndQualities) {
  const std::pair<std::string_view, bool> cases[] = {
      {"gzip", true},
      {"gzip, deflate, br", true},
      {"br;q=1.0, GZIP;q=0.5", true},
      {"deflate, br", false},
      {"", false},
      {"gzip;q=0", false},
      {"gzip; q=0.000", false},
      {"gzip;q=0.001", true},
      {"*", true},
      {"*;q=0", false},
      {"*, gzip;q=0", false},
      {"identity", false},
      {"x-gzip", true},
      {"gzipper", false},
  };
  for (const auto& [header, expected] : cases) EXPECT_EQ(accepts_gzip(header), expected) << header;
}

TEST(EtagMatches, ComparesWeaklyAndAcceptsLists) {
  EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("*", "\"abc\""));
  EXPECT_FALSE(etag_matches("", "\"abc\""));
  EXPECT_FALSE(etag_matches("\"abcd\"", "\"abc\""));
  EXPECT_FALSE(etag_matches("abc", "\"abc\""));
}

TEST(ContentTypeFor, KnowsTheWebAppsFiles) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("assets/app-1.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("assets/app-1.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("assets/app-1.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("logo.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("manifest.webmanifest"), "application/manifest+json");
  EXPECT_EQ(content_type_for("assets/app-1.js.map"), "application/json");
  EXPECT_EQ(content_type_for("assets/font.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("LICENSE"), "application/octet-stream");
}

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    crypto::init();
    char pattern[] = "/tmp/parley-static-XXXXXX";
    base_ = fs::path(mkdtemp(pattern));
    root_ = base_ / "dist";
    fs::create_directories(root_ / "assets");
    write("index.html", "<!doctype html><title>Parley</title>");
    write("assets/app-abc123.js", "console.log(1)");
    write("assets/app-abc123.js.gz", "GZ");
    write("robots.txt", "User-agent: *");
  }
  ~StaticFilesTest() override { fs::remove_all(base_); }

  void write(const std::string& name, const std::string& content, const fs::path& at = {}) {
    std::ofstream((at.empty() ? root_ : at) / name, std::ios::binary) << content;
  }
  std::unique_ptr<StaticFiles> load(std::size_t cap = 64 << 20) {
    return StaticFiles::load({.root = root_.string(), .max_total_bytes = cap});
  }
  static Response get(const StaticFiles& files, std::string path,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::string method = "GET") {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.headers = std::move(headers);
    auto answer = files.serve(r);
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(Response{});
  }
  static std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "(none)";
  }

  fs::path base_, root_;
};

TEST_F(StaticFilesTest, LoadsFilesWithTheirGzipEncodingsAndSkipsDotfilesAndOutsideSymlinks) {
  write("secret.txt", "outside", base_);
  write(".env", "KEY=1");
  fs::create_directories(root_ / ".git");
  write(".git/config", "x");
  fs::create_symlink(base_ / "secret.txt", root_ / "leak.txt");
  fs::create_symlink(root_ / "robots.txt", root_ / "robots-link.txt");
  fs::create_directory_symlink(base_, root_ / "up");
  auto files = load();
  // index.html, the script (its .gz is not a file of its own), robots.txt and the link inside.
  EXPECT_EQ(files->file_count(), 4u);
  EXPECT_EQ(get(*files, "/robots-link.txt").body, "User-agent: *");
  for (std::string path :
       {"/leak.txt", "/.env", "/.git/config", "/up/secret.txt", "/up/dist/index.html"})
    EXPECT_EQ(get(*files, path).body, "<!doctype html><title>Parley</title>") << path;  // the index
}

TEST_F(StaticFilesTest, RefusesAFolderTooLargeOrWithoutIndex) {
  EXPECT_THROW(load(10), std::runtime_error);
  fs::remove(root_ / "index.html");
  EXPECT_THROW(load(), std::runtime_error);
  EXPECT_THROW(StaticFiles::load({.root = (base_ / "nothing").string()}), std::runtime_error);
}

TEST_F(StaticFilesTest, ServesAssetsImmutableAndGzipWhenAccepted) {
  auto files = load();
  auto plain = get(*files, "/assets/app-abc123.js");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, "console.log(1)");
  EXPECT_EQ(plain.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(plain, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(plain, "Vary"), "Accept-Encoding");
  EXPECT_EQ(header(plain, "Content-Encoding"), "(none)");
  EXPECT_EQ(header(plain, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(plain, "Content-Security-Policy"), "(none)");
  auto gzip = get(*files, "/assets/app-abc123.js", {{"accept-encoding", "gzip, br"}});
  EXPECT_EQ(gzip.body, "GZ");
  EXPECT_EQ(header(gzip, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(gzip, "Vary"), "Accept-Encoding");
  EXPECT_NE(header(gzip, "ETag"), header(plain, "ETag"));
  auto missing = get(*files, "/assets/app-zzz.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "text/plain; charset=utf-8");
}

TEST_F(StaticFilesTest, AnswersTheIndexForAppRoutesWithSecurityHeadersAndRevalidation) {
  auto files = load();
  auto page = get(*files, "/conversations/abc");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(page, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(page, "Vary"), "(none)");  // no index.html.gz here
  EXPECT_EQ(header(page, "X-Frame-Options"), "DENY");
  EXPECT_EQ(header(page, "Referrer-Policy"), "no-referrer");
  EXPECT_NE(header(page, "Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  std::string etag = header(page, "ETag");
  ASSERT_EQ(etag.front(), '"');
  auto again = get(*files, "/", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(again.content_type, "");
  EXPECT_EQ(header(again, "ETag"), etag);
  EXPECT_EQ(get(*files, "/", {{"if-none-match", "\"other\""}}).status, 200);
  EXPECT_EQ(header(get(*files, "/robots.txt"), "Cache-Control"), "no-cache");
  EXPECT_EQ(get(*files, "/", {}, "HEAD").status, 200);
}

TEST_F(StaticFilesTest, LeavesOtherMethodsAndTheApiToTheRouter) {
  auto files = load();
  Request post;
  post.method = "POST";
  post.path = "/";
  EXPECT_FALSE(files->serve(post).has_value());
  Request api;
  api.method = "GET";
  api.path = "/api/v1/nope";
  EXPECT_FALSE(files->serve(api).has_value());
}

}  // namespace
}  // namespace parley::http
