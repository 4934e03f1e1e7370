// The /static/ handler of coring-http: files under --root, confined with openat2(RESOLVE_BENEATH).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "coring/http/http.hpp"

namespace coring::apps {

struct StaticOptions {
  std::string root;                        ///< directory served
  std::string url_prefix = "/static/";     ///< stripped from the path before the lookup
  std::uint64_t max_file_bytes = 8 << 20;  ///< largest body read into memory (a range counts its own size)
};

/// Serves files below `root`. No path can leave it: ".." and symlinks that
/// point outside are refused by the kernel (RESOLVE_BENEATH), as are /proc
/// magic links. Supports HEAD, Last-Modified / If-Modified-Since and a single
/// byte Range. Returns null (and logs why) if `root` cannot be opened.
class StaticFiles {
 public:
  static std::shared_ptr<StaticFiles> open(StaticOptions opts);
  ~StaticFiles();
  Task<http::Response> operator()(http::Request& req) const;

 private:
  StaticFiles(StaticOptions o, int fd) : opts_(std::move(o)), root_fd_(fd) {}
  http::Response serve(http::Request& req) const;
  StaticOptions opts_;
  int root_fd_;
};

}  // namespace coring::apps
