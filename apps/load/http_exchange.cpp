// The HTTP/1.1 side of coring-load: a batch of pipelined keep-alive GETs, each response checked (status 200, body length).
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>

#include "load.hpp"

namespace coring::load {

namespace {

constexpr std::size_t kMaxHead = 16 * 1024;

/// Reads responses off the byte stream one after another: the head up to the
/// blank line, then exactly Content-Length body bytes.
class ResponseReader {
 public:
  explicit ResponseReader(const Config& cfg) : cfg_(cfg) {}

  /// Consumes one received chunk; false with `why` set on a bad response.
  bool feed(std::string_view bytes) {
    while (!bytes.empty()) {
      if (done_ == cfg_.pipeline) return fail("bytes after the last expected response");
      if (body_left_ == 0) {
        const std::size_t before = head_.size();
        head_.append(bytes);
        const std::size_t from = before >= 3 ? before - 3 : 0;
        const std::size_t end = head_.find("\r\n\r\n", from);
        if (end == std::string::npos) {
          if (head_.size() > kMaxHead) return fail("response head longer than 16 KiB");
          return true;
        }
        const std::size_t head_len = end + 4;
        bytes.remove_prefix(head_len - before);  // the rest of the chunk starts the body
        head_.resize(head_len);
        if (!parse_head()) return false;
        head_.clear();
        if (body_left_ == 0) ++done_;
        continue;
      }
      const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(body_left_, bytes.size()));
      bytes.remove_prefix(n);
      body_left_ -= n;
      if (body_left_ == 0) ++done_;
    }
    return true;
  }
  bool complete() const { return done_ == cfg_.pipeline && body_left_ == 0; }
  /// A response said `Connection: close`: the server closes the connection after it.
  bool closing() const { return closing_; }
  const std::string& why() const { return why_; }

 private:
  bool fail(std::string w) {
    why_ = std::move(w);
    return false;
  }
  bool parse_head() {
    if (head_.compare(0, 9, "HTTP/1.1 ") != 0 && head_.compare(0, 9, "HTTP/1.0 ") != 0)
      return fail("not an HTTP/1.x status line");
    const int status = std::atoi(head_.c_str() + 9);
    if (status != 200) return fail("status " + std::to_string(status));
    std::string lower = head_;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const std::size_t at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return fail("no Content-Length (chunked bodies are not supported)");
    const long long len = std::atoll(lower.c_str() + at + 17);
    if (len < 0) return fail("bad Content-Length");
    if (cfg_.expect_body >= 0 && len != cfg_.expect_body)
      return fail("body of " + std::to_string(len) + " bytes, expected " + std::to_string(cfg_.expect_body));
    body_left_ = static_cast<uint64_t>(len);
    if (lower.find("\r\nconnection: close\r\n") != std::string::npos) closing_ = true;
    return true;
  }

  const Config& cfg_;
  std::string head_;
  uint64_t body_left_ = 0;
  uint32_t done_ = 0;
  bool closing_ = false;
  std::string why_;
};

}  // namespace

std::string http_batch(const Config& cfg) {
  const std::string one = "GET " + cfg.path + " HTTP/1.1\r\nHost: " + cfg.host + "\r\n\r\n";
  std::string all;
  for (uint32_t i = 0; i < cfg.pipeline; ++i) all += one;
  return all;
}

Task<Outcome> http_exchange(Stream& s, Shared& sh, uint32_t conn) {
  auto w = co_await s.send_all(std::string_view(sh.http_batch));
  if (!w) {
    sh.report("send", conn, w.error().message());
    co_return Outcome::failed;
  }
  ResponseReader reader(*sh.cfg);
  while (!reader.complete()) {
    auto chunk = co_await s.recv();
    if (!sh.received(chunk, conn)) co_return Outcome::failed;
    if (!reader.feed({reinterpret_cast<const char*>(chunk->data()), chunk->size()})) {
      sh.report("verify", conn, reader.why());
      co_return Outcome::verify_failed;
    }
  }
  co_return reader.closing() ? Outcome::closed : Outcome::ok;
}

}  // namespace coring::load
