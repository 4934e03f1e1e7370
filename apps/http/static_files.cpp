// Static files: confined open, content type, conditional GET, single byte ranges; the file system is used on the offload pool.
#include "static_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "content_type.hpp"
#include "coring/core/offload.hpp"
#include "range.hpp"

namespace coring::apps {

using http::Response;

namespace {

/// openat2 with RESOLVE_BENEATH: the kernel refuses any resolution that leaves `dir`
/// ("..", absolute symlinks, symlinks pointing outside) with EXDEV.
int open_beneath(int dir, const std::string& rel) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dir, rel.c_str(), &how, sizeof how));
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Percent-decodes a path; false on a bad escape or a NUL byte.
bool decode_path(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return false;
    out.push_back(c);
  }
  return true;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::shared_ptr<StaticFiles> StaticFiles::open(StaticOptions opts) {
  int fd = ::open(opts.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "coring-http: cannot open --root %s: %s\n", opts.root.c_str(), std::strerror(errno));
    return nullptr;
  }
  return std::shared_ptr<StaticFiles>(new StaticFiles(std::move(opts), fd));
}

StaticFiles::~StaticFiles() { ::close(root_fd_); }

Task<Response> StaticFiles::operator()(http::Request& req) const {
  FileQuery q;
  std::string_view path = req.path;
  path.remove_prefix(std::min(path.size(), opts_.url_prefix.size()));
  if (!decode_path(path, q.rel) || q.rel.empty() || q.rel.front() == '/') co_return Response::plain(404);
  q.head = req.method() == "HEAD";
  q.if_modified_since = req.header("If-Modified-Since");
  q.range = req.header("Range");
  q.if_range = req.header("If-Range");
  // open, fstat and pread may block on the disk: they run on the runtime's bounded offload pool,
  // never on the shard's thread. (Named, with trivial captures only: see the GCC 12 notes.)
  auto work = [this, &q] { return serve_blocking(q); };
  Response r = co_await offload(work);
  co_return r;
}

Response StaticFiles::serve_blocking(const FileQuery& q) const {
  const std::string& rel = q.rel;
  Fd f{open_beneath(root_fd_, rel)};
  if (f.fd < 0) {
    // EXDEV: the path tried to leave the root; ELOOP: a symlink loop. Neither says what exists.
    return Response::plain(errno == EACCES || errno == EPERM ? 403 : 404);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) return Response::plain(404);

  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  char date_buf[32];
  const std::string_view last_modified = http::format_http_date(st.st_mtime, date_buf);

  // If-Modified-Since (RFC 9110 §13.1.3), evaluated before Range.
  if (const std::string& ims = q.if_modified_since; !ims.empty()) {
    const std::time_t t = http::parse_http_date(ims);
    if (t != -1 && st.st_mtime <= t) {
      Response r;
      r.status = 304;
      r.add_header("Last-Modified", last_modified);
      return r;
    }
  }

  ByteRange range{0, size};
  int status = 200;
  if (const std::string& rh = q.range; !rh.empty()) {
    if (q.if_range.empty() || q.if_range == last_modified) {
      switch (parse_range(rh, size, range)) {
        case RangeResult::ignore: range = {0, size}; break;
        case RangeResult::satisfiable: status = 206; break;
        case RangeResult::unsatisfiable: {
          Response r = Response::plain(416);
          r.add_header("Content-Range", "bytes */" + std::to_string(size));
          return r;
        }
      }
    }
  }
  Response r;
  r.status = status;
  r.content_type = content_type_for(rel);
  r.add_header("Last-Modified", last_modified);
  r.add_header("Accept-Ranges", "bytes");
  if (status == 206)
    r.add_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                      std::to_string(range.first + range.length - 1) + "/" + std::to_string(size));
  if (q.head) {  // only the size is sent (as Content-Length); nothing is read or allocated
    r.head_length = static_cast<std::int64_t>(range.length);
    return r;
  }
  if (range.length > opts_.max_file_bytes) return Response::plain(500);  // TODO: stream large bodies
  r.body.resize(range.length);
  std::uint64_t done = 0;
  while (done < range.length) {
    const ssize_t n = ::pread(f.fd, r.body.data() + done, range.length - done, static_cast<off_t>(range.first + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Response::plain(500);  // the file shrank or failed under us
    done += static_cast<std::uint64_t>(n);
  }
  return r;
}

}  // namespace coring::apps
