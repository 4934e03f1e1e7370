// Static files: confined open, content type, conditional GET (dates and ETags), single byte ranges; bodies read or sent with send_file.
#include "static_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "content_type.hpp"
#include "range.hpp"

namespace coring::apps {

using http::Response;

namespace {

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

/// A validator that changes whenever the file does: inode, size and modification time, in hex.
std::string etag_of(const FileInfo& st) {
  char b[80];
  const int n = std::snprintf(b, sizeof b, "\"%llx-%llx-%llx.%x\"", static_cast<unsigned long long>(st.inode),
                              static_cast<unsigned long long>(st.size), static_cast<unsigned long long>(st.mtime_sec),
                              st.mtime_nsec);
  return std::string(b, static_cast<std::size_t>(n));
}

/// If-None-Match (RFC 9110 §13.1.2): "*" or a list of entity tags, compared weakly.
bool none_match(std::string_view field, std::string_view etag) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  if (trim(field) == "*") return true;
  while (!field.empty()) {
    const auto comma = field.find(',');
    std::string_view tag = trim(field.substr(0, comma));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    field.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::shared_ptr<StaticFiles> StaticFiles::open(StaticOptions opts) {
  int fd = ::open(opts.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "coring-http: cannot open --root %s: %s\n", opts.root.c_str(), std::strerror(errno));
    return nullptr;
  }
  return std::shared_ptr<StaticFiles>(new StaticFiles(std::move(opts), fd));
}

Task<Response> StaticFiles::operator()(http::Request& req) const {
  std::string rel;
  std::string_view path = req.path;
  path.remove_prefix(std::min(path.size(), opts_.url_prefix.size()));
  if (!decode_path(path, rel) || rel.empty() || rel.front() == '/') co_return Response::plain(404);
  const bool head = req.method() == "HEAD";
  // Copied now: the request's views are only promised until the first suspension.
  const std::string if_modified_since(req.header("If-Modified-Since")), if_none_match(req.header("If-None-Match"));
  const std::string range_field(req.header("Range")), if_range(req.header("If-Range"));

  // Open and stat through the shard's backend (io_uring opcodes, or the offload pool on epoll).
  auto f = co_await File::open(root_, rel);
  if (!f) {
    // EXDEV: the path tried to leave the root; ELOOP: a symlink loop. Neither says what exists.
    const auto e = f.error();
    co_return Response::plain(e == errc::permission_denied || e == errc::operation_not_permitted ? 403 : 404);
  }
  auto st = co_await f->stat();
  if (!st || !st->regular()) co_return Response::plain(404);

  const std::uint64_t size = st->size;
  char date_buf[32];
  const std::string_view last_modified = http::format_http_date(static_cast<std::time_t>(st->mtime_sec), date_buf);
  const std::string etag = etag_of(*st);

  // If-None-Match, else If-Modified-Since (RFC 9110 §13.2.2), both before Range.
  bool not_modified = false;
  if (!if_none_match.empty()) {
    not_modified = none_match(if_none_match, etag);
  } else if (!if_modified_since.empty()) {
    const std::time_t t = http::parse_http_date(if_modified_since);
    not_modified = t != -1 && st->mtime_sec <= t;
  }
  if (not_modified) {
    Response r;
    r.status = 304;
    r.add_header("ETag", etag);
    r.add_header("Last-Modified", last_modified);
    co_return r;
  }

  ByteRange range{0, size};
  int status = 200;
  // If-Range: the range applies only to this representation (same ETag, strongly, or same date).
  if (!range_field.empty() && (if_range.empty() || if_range == etag || if_range == last_modified)) {
    switch (parse_range(range_field, size, range)) {
      case RangeResult::ignore: range = {0, size}; break;
      case RangeResult::satisfiable: status = 206; break;
      case RangeResult::unsatisfiable: {
        Response r = Response::plain(416);
        r.add_header("Content-Range", "bytes */" + std::to_string(size));
        co_return r;
      }
    }
  }
  Response r;
  r.status = status;
  r.content_type = content_type_for(rel);
  r.add_header("ETag", etag);
  r.add_header("Last-Modified", last_modified);
  r.add_header("Accept-Ranges", "bytes");
  if (status == 206)
    r.add_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                      std::to_string(range.first + range.length - 1) + "/" + std::to_string(size));
  if (head) {  // only the size is sent (as Content-Length); nothing is read
    r.head_length = static_cast<std::int64_t>(range.length);
    co_return r;
  }
  if (range.length > opts_.inline_max) {  // any size: sent from the file, memory bounded
    r.file = std::make_shared<http::FileBody>(http::FileBody{std::move(*f), range.first, range.length});
    co_return r;
  }
  r.body.resize(range.length);
  std::uint64_t done = 0;
  while (done < range.length) {
    auto n = co_await f->read_at(std::span(reinterpret_cast<std::byte*>(r.body.data()) + done, range.length - done),
                                 range.first + done);
    if (!n || *n == 0) co_return Response::plain(500);  // the file shrank or failed under us
    done += *n;
  }
  (void)co_await f->close();
  co_return r;
}

}  // namespace coring::apps
