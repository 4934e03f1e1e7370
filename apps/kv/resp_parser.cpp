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
  // Keep the strings for the next request, but not a large one's memory.
  for (std::size_t i = 0; i < count_; ++i)
    if (args_[i].capacity() > 4096) std::string().swap(args_[i]);
  if (args_.size() > 256) {
    args_.resize(256);
    args_.shrink_to_fit();
  }
  count_ = 0;
  expected_ = bytes_ = 0;
  in_array_ = want_bulk_ = false;
}

std::string& RespParser::next_arg() {
  if (count_ == args_.size()) args_.emplace_back();
  return args_[count_++];
}

RespStep RespParser::parse_whole(std::string_view bytes, std::size_t& used) {
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
  if (args_.size() < 64 && args_.size() < expected_) args_.reserve(expected_ < 64 ? expected_ : 64);  // grows with what really arrives
  return {};
}

RespStep RespParser::on_bulk(std::string_view payload) {
  if (!want_bulk_ || payload.size() < 2 || payload.substr(payload.size() - 2) != "\r\n")
    return fail("Protocol error: expected CRLF after bulk payload");
  want_bulk_ = false;
  payload.remove_suffix(2);
  bytes_ += payload.size();
  next_arg().assign(payload);
  return next_element();
}

RespStep RespParser::next_element() {
  if (count_ < expected_) return {};
  in_array_ = false;
  return {RespStep::done, 0, {}};
}

RespStep RespParser::inline_request(std::string_view line) {
  // Words separated by spaces or tabs; "double" and 'single' quotes group words (\" inside "").
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) next_arg() = std::move(word), word.clear(), in_word = false;
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
  if (in_word) next_arg() = std::move(word);
  if (count_ > limits_.max_array) return fail("Protocol error: invalid multibulk length");
  if (count_ == 0) return {};  // an empty line: ignored, like Redis
  return {RespStep::done, 0, {}};
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
