// RESP2 request parsing: arrays of bulk strings and inline commands, with Redis's protocol error texts.
#include "resp_parser.hpp"

#include <limits>

namespace kv {

bool parse_length(std::string_view s, int64_t& out) noexcept {
  if (s == "-1") {
    out = -1;
    return true;
  }
  if (s.empty() || s.size() > 19) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');  // at most 19 digits: no overflow
  }
  out = v;
  return true;
}

void RespParser::reset() noexcept {
  // Keep the buffers for the next request, but not a large one's memory.
  if (owned_.capacity() > (64u << 10)) std::string().swap(owned_);
  else owned_.clear();
  if (ends_.capacity() > 256) std::vector<std::size_t>().swap(ends_);
  else ends_.clear();
  if (views_.size() > 256) {
    views_.resize(256);
    views_.shrink_to_fit();
  }
  count_ = 0;
  expected_ = bytes_ = 0;
  in_array_ = want_bulk_ = false;
}

void RespParser::add_owned(std::string_view arg) {
  owned_.append(arg);
  ends_.push_back(owned_.size());
  ++count_;
}

// The request is complete: its arguments are the owned ones, one after another.
RespStep RespParser::done() {
  if (views_.size() < count_) views_.resize(count_);
  std::size_t start = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    views_[i] = std::string_view(owned_).substr(start, ends_[i] - start);
    start = ends_[i];
  }
  return {RespStep::done, 0, {}};
}

namespace {

// Reads the decimal at p up to "\r\n" (at most 18 digits, no sign): 1 and p past the
// "\r\n", 0 when the bytes end (at `end`) first, -1 for anything else.
inline int fast_length(const char*& p, const char* end, std::size_t& out) noexcept {
  if (end - p >= 4) {  // one or two digits (almost every length and count): no loop
    const unsigned d0 = static_cast<unsigned char>(p[0]) - unsigned{'0'};
    const unsigned d1 = static_cast<unsigned char>(p[1]) - unsigned{'0'};
    if (d0 <= 9 && p[1] == '\r' && p[2] == '\n') {
      out = d0;
      p += 3;
      return 1;
    }
    if (d0 <= 9 && d1 <= 9 && p[2] == '\r' && p[3] == '\n') {
      out = d0 * 10 + d1;
      p += 4;
      return 1;
    }
  }
  const char* q = p;
  std::size_t v = 0;
  for (;; ++q) {
    if (q == end) return 0;
    const unsigned d = static_cast<unsigned char>(*q) - unsigned{'0'};
    if (d > 9) break;
    v = v * 10 + d;
  }
  if (q == p || q - p > 18 || *q != '\r') return -1;
  if (q + 1 == end) return 0;
  if (q[1] != '\n') return -1;
  p = q + 2;
  out = v;
  return 1;
}

}  // namespace

int RespParser::parse_array_fast(std::string_view bytes, std::size_t& used) {
  // Header lines here are at most 21 bytes: a smaller max_inline is the generic path's to report.
  if (bytes.size() < 4 || bytes[0] != '*' || limits_.max_inline < 32) return -1;
  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  const char* p = begin + 1;
  std::size_t n = 0;
  if (const int r = fast_length(p, end, n); r != 1) return r;
  if (n == 0 || n > limits_.max_array) return -1;
  // Each element takes 6 bytes at least ("$0\r\n\r\n"): fewer left means it is not all here.
  if (n > static_cast<std::size_t>(end - p) / 6) return 0;
  if (views_.size() < n) views_.resize(n);
  std::string_view* v = views_.data();
  std::size_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (p == end) return 0;
    if (*p != '$') return -1;
    ++p;
    std::size_t len = 0;
    if (const int r = fast_length(p, end, len); r != 1) return r;
    if (len > limits_.max_bulk || total + len > limits_.max_request) return -1;
    total += len;
    if (static_cast<std::size_t>(end - p) < len + 2) return 0;
    if (p[len] != '\r' || p[len + 1] != '\n') return -1;
    v[i] = std::string_view(p, len);
    p += len + 2;
  }
  count_ = n;
  used = static_cast<std::size_t>(p - begin);
  return 1;
}

RespStep RespParser::parse_whole(std::string_view bytes, std::size_t& used) {
  if (const int r = parse_array_fast(bytes, used); r >= 0) return r == 1 ? RespStep{RespStep::done, 0, {}} : RespStep{};
  // Anything else (inline requests, empty arrays, errors, a request not all here) the generic way.
  std::size_t pos = 0;
  RespStep step;
  for (;;) {
    const std::string_view rest = bytes.substr(pos);
    if (step.kind == RespStep::need_bulk) {
      if (rest.size() < step.bulk + 2) return {};
      const std::size_t n = step.bulk + 2;
      step = on_bulk(rest.substr(0, n));
      pos += n;
    } else {
      const std::size_t eol = rest.find("\r\n");
      if (eol == std::string_view::npos) return {};
      step = on_line(rest.substr(0, eol));
      pos += eol + 2;
    }
    if (step.kind == RespStep::done || step.kind == RespStep::error) {
      used = pos;
      return step;
    }
  }
}

RespStep RespParser::on_line(std::string_view line) {
  if (line.size() > limits_.max_inline) return fail(in_array_ ? "Protocol error: too big bulk count string" : "Protocol error: too big inline request");
  if (!in_array_) return header(line);
  if (want_bulk_) return fail("Protocol error: expected bulk payload");
  if (line.empty() || line[0] != '$') {
    static thread_local std::string text;
    text = "Protocol error: expected '$', got '";
    text += line.empty() ? ' ' : line[0];
    text += "'";
    return fail(text);
  }
  int64_t n = 0;
  if (!parse_length(line.substr(1), n) || n < 0 || static_cast<uint64_t>(n) > limits_.max_bulk)
    return fail("Protocol error: invalid bulk length");
  if (bytes_ + static_cast<std::size_t>(n) > limits_.max_request) return fail("Protocol error: too big request");
  want_bulk_ = true;
  return {RespStep::need_bulk, static_cast<std::size_t>(n), {}};
}

RespStep RespParser::header(std::string_view line) {
  if (line.empty() || line[0] != '*') return inline_request(line);
  int64_t n = 0;
  if (!parse_length(line.substr(1), n) || static_cast<uint64_t>(n) > limits_.max_array)
    return n == -1 ? RespStep{} : fail("Protocol error: invalid multibulk length");
  if (n <= 0) return {};  // *0 / *-1: nothing to run
  in_array_ = true;
  expected_ = static_cast<std::size_t>(n);
  if (ends_.capacity() < 64 && ends_.capacity() < expected_) ends_.reserve(expected_ < 64 ? expected_ : 64);  // grows with what really arrives
  return {};
}

RespStep RespParser::on_bulk(std::string_view payload) {
  if (!want_bulk_ || payload.size() < 2 || payload.substr(payload.size() - 2) != "\r\n")
    return fail("Protocol error: expected CRLF after bulk payload");
  want_bulk_ = false;
  payload.remove_suffix(2);
  bytes_ += payload.size();
  add_owned(payload);
  return next_element();
}

RespStep RespParser::next_element() {
  if (count_ < expected_) return {};
  in_array_ = false;
  return done();
}

RespStep RespParser::inline_request(std::string_view line) {
  // Words separated by spaces or tabs; "double" and 'single' quotes group words (\" inside "").
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) add_owned(word), word.clear(), in_word = false;
    } else if ((c == '"' || c == '\'') && !in_word) {
      const char q = c;
      in_word = true;
      for (++i;; ++i) {
        if (i >= line.size()) return fail("Protocol error: unbalanced quotes in request");
        if (line[i] == q) break;
        if (q == '"' && line[i] == '\\' && i + 1 < line.size()) ++i;
        word += line[i];
      }
      if (i + 1 < line.size() && line[i + 1] != ' ' && line[i + 1] != '\t')
        return fail("Protocol error: unbalanced quotes in request");
    } else {
      in_word = true;
      word += c;
    }
    if (count_ > limits_.max_array) return fail("Protocol error: invalid multibulk length");
  }
  if (in_word) add_owned(word);
  if (count_ > limits_.max_array) return fail("Protocol error: invalid multibulk length");
  if (count_ == 0) return {};  // an empty line: ignored, like Redis
  return done();
}

RespStep RespByteParser::next() {
  if (done_) parser_.reset(), done_ = false;
  for (;;) {
    const std::string_view rest = std::string_view(pending_).substr(pos_);
    RespStep step;
    if (want_.kind == RespStep::need_bulk) {
      if (rest.size() < want_.bulk + 2) return want_;
      step = parser_.on_bulk(rest.substr(0, want_.bulk + 2));
      pos_ += want_.bulk + 2;
    } else {
      const std::size_t eol = rest.find("\r\n");
      if (eol == std::string_view::npos) {
        if (rest.size() > parser_.limits().max_inline + 1) return {RespStep::error, 0, "Protocol error: too big inline request"};
        pending_.erase(0, pos_);  // keep only the unread tail
        pos_ = 0;
        return want_;
      }
      step = parser_.on_line(rest.substr(0, eol));
      pos_ += eol + 2;
    }
    if (step.kind == RespStep::done) {
      want_ = {};
      done_ = true;
      return step;
    }
    if (step.kind == RespStep::error) return step;
    want_ = step;
  }
}

}  // namespace kv
