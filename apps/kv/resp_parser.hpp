// RESP2 request parsing without I/O: a state machine fed lines and bulk payloads, plus a byte-stream driver for tests and fuzzing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

/// Limits on one request; what exceeds them is a protocol error.
struct RespLimits {
  std::size_t max_bulk = 64u << 20;        ///< largest bulk string ($N)
  std::size_t max_array = 1024 * 1024;     ///< most elements in one request array (*N)
  std::size_t max_inline = 64 * 1024;      ///< longest line (inline request or header)
  std::size_t max_request = 256u << 20;    ///< most payload bytes in one request (all bulks together)
};

/// What the parser wants next, or what it produced.
struct RespStep {
  enum Kind { need_line, need_bulk, done, error };
  Kind kind = need_line;
  std::size_t bulk = 0;     ///< need_bulk: payload bytes wanted, followed by "\r\n"
  std::string_view message; ///< error: the text after "-ERR " (static storage)
};

/// Parses one request at a time. Feed it what it asks for: `on_line` a line
/// without its "\r\n" (need_line), `on_bulk` the payload and its "\r\n"
/// (need_bulk, bulk + 2 bytes). On `done`, `args()` holds the request (an
/// array of bulk strings, or the words of an inline line); call `reset()`
/// before the next one. After `error` the connection should reply and close.
/// An empty request (`*0`, `*-1`, an empty inline line) is skipped: the
/// parser goes on asking for a line.
///
/// What on_line/on_bulk are given is copied (their views may die with the next
/// read); parse_whole's arguments point into the bytes it was given instead.
class RespParser {
 public:
  explicit RespParser(RespLimits limits = {}) : limits_(limits) {}

  RespStep on_line(std::string_view line);
  RespStep on_bulk(std::string_view payload_crlf);
  /// Parses a whole request from `bytes` when it is all there: gives done (or
  /// error) and sets `used` to the bytes it took, or need_line when the request
  /// goes on past `bytes` (then call reset() and feed it piece by piece).
  /// Parses exactly as on_line/on_bulk would, empty requests skipped. On done,
  /// args() may point into `bytes`: they must outlive the use of args().
  RespStep parse_whole(std::string_view bytes, std::size_t& used);

  /// The request's arguments, valid until reset() (and, after parse_whole, while its bytes are).
  std::span<const std::string_view> args() const noexcept { return {views_.data(), count_}; }
  /// True between requests (nothing of the next one read yet).
  bool at_request_start() const noexcept { return !in_array_ && count_ == 0; }
  void reset() noexcept;
  const RespLimits& limits() const noexcept { return limits_; }

 private:
  RespStep header(std::string_view line);
  RespStep inline_request(std::string_view line);
  RespStep next_element();
  RespStep done();
  static RespStep fail(std::string_view text) { return {RespStep::error, 0, text}; }
  void add_owned(std::string_view arg);
  // The common case of parse_whole: a valid array of bulk strings within the limits,
  // parsed in one pass. 1: done; 0: valid so far but not all here; -1: anything
  // else (nothing kept: the generic path parses it, errors and all).
  int parse_array_fast(std::string_view bytes, std::size_t& used);

  RespLimits limits_;
  std::vector<std::string_view> views_;  // [0, count_) are this request's arguments once done
  std::string owned_;                    // the bytes of arguments fed by on_line/on_bulk, one after another
  std::vector<std::size_t> ends_;        // where each owned argument ends in owned_
  std::size_t count_ = 0;      // arguments of this request so far (done: all of them)
  std::size_t expected_ = 0;   // elements announced by *N
  std::size_t bytes_ = 0;      // payload bytes of this request so far
  bool in_array_ = false;
  bool want_bulk_ = false;     // a $N header was read; its payload is next
};

/// Parses a non-negative decimal (no sign, no spaces); -1 for "-1"; nullopt-like
/// false on anything else or overflow past int64.
bool parse_length(std::string_view s, int64_t& out) noexcept;

/// Drives a RespParser over arbitrary chunks of bytes (no I/O): for unit tests
/// and fuzzing, and to check that splitting the input anywhere changes nothing.
class RespByteParser {
 public:
  explicit RespByteParser(RespLimits limits = {}) : parser_(limits) {}
  /// Appends bytes; then call `next` until it gives need_line/need_bulk (more bytes needed).
  void feed(std::string_view bytes) { pending_.append(bytes); }
  /// The next step: done (args() valid until the following call), error, or need_* (wait for feed).
  RespStep next();
  std::span<const std::string_view> args() const noexcept { return parser_.args(); }

 private:
  RespParser parser_;
  std::string pending_;
  std::size_t pos_ = 0;
  RespStep want_{};
  bool done_ = false;
};

}  // namespace kv
