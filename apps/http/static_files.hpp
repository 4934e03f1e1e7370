// The /static/ handler of coring-http: files under --root, confined with openat2(RESOLVE_BENEATH), through the shard's File operations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "coring/fs/file.hpp"
#include "coring/http/http.hpp"

namespace coring::apps {

struct StaticOptions {
  std::string root;                        ///< directory served
  std::string url_prefix = "/static/";     ///< stripped from the path before the lookup
  /// Bodies up to this size are read into the response (one send with the
  /// head); larger ones go out with Stream::send_file, of any size.
  std::uint64_t inline_max = 32 << 10;
};

/// Serves files below `root`. No path can leave it: ".." and symlinks that
/// point outside are refused by the kernel (RESOLVE_BENEATH), as are /proc
/// magic links. Supports HEAD, Last-Modified / If-Modified-Since, ETag /
/// If-None-Match, a single byte Range with If-Range. The open, stat and read
/// are File operations (io_uring opcodes, or the offload pool on epoll), never
/// blocking the shard's thread; large bodies go out with send_file, so memory
/// stays bounded whatever the file size. Returns null (and logs why) if `root`
/// cannot be opened.
class StaticFiles {
 public:
  static std::shared_ptr<StaticFiles> open(StaticOptions opts);
  Task<http::Response> operator()(http::Request& req) const;

 private:
  StaticFiles(StaticOptions o, int fd) : opts_(std::move(o)), root_(fd) {}
  StaticOptions opts_;
  File root_;  ///< the root directory (O_PATH)
};

}  // namespace coring::apps
