// The /static/ handler of coring-http: files under --root, confined with openat2(RESOLVE_BENEATH), read off the loop.
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

/// What the file-system part of a static request needs, copied out of the request.
struct FileQuery {
  std::string rel;  ///< decoded path below the root
  bool head = false;
  std::string if_modified_since, range, if_range;
};

/// Serves files below `root`. No path can leave it: ".." and symlinks that
/// point outside are refused by the kernel (RESOLVE_BENEATH), as are /proc
/// magic links. Supports HEAD, Last-Modified / If-Modified-Since and a single
/// byte Range. The open, stat and read run on the runtime's offload pool
/// (offload()), not on the shard's thread. Returns null (and logs why) if
/// `root` cannot be opened.
class StaticFiles {
 public:
  static std::shared_ptr<StaticFiles> open(StaticOptions opts);
  ~StaticFiles();
  Task<http::Response> operator()(http::Request& req) const;

 private:
  StaticFiles(StaticOptions o, int fd) : opts_(std::move(o)), root_fd_(fd) {}
  /// Runs on an offload thread: touches only `q`, the options and the root fd.
  http::Response serve_blocking(const FileQuery& q) const;
  StaticOptions opts_;
  int root_fd_;
};

}  // namespace coring::apps
