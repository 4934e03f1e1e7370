// The request state machine: request line, field lines, identity and chunked bodies, trailers; zero-copy tokens.
#include <algorithm>
#include <cstring>
#include <functional>
#include <new>
#include <utility>

#include "runtime/http/block_cache.hpp"
#include "runtime/http/chars.hpp"
#include "runtime/http/parser_impl.hpp"

namespace coring::http {

using detail::is;
using detail::is_ows;

namespace {
// The first field array (16 entries, 512 bytes) comes from the shard's cache and goes back
// to it with the parser.
constexpr std::size_t kCachedFields = 16;
using FieldCache = detail::BlockCache<Header, kCachedFields>;
// Sub-states of s_chunk_ext: chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ).
enum Ext : std::uint8_t { e_bws, e_name_bws, e_name, e_name_end, e_val_bws, e_tok, e_q, e_qp };
}  // namespace

Parser::Parser(const Limits& limits)
    : limits_(limits),
      scratch_cap_(limits.max_request_line + limits.max_header_bytes) {
  reset();
}
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;
Parser::~Parser() {
  if (fields_cap_ == kCachedFields) FieldCache::give(fields_.release());
}

void Parser::reset() noexcept {
  head_ = RequestHead{};
  error_ = Error{};
  scratch_len_ = nfields_ = 0;
  tok_open_ = tok_spilled_ = false;
  state_ = s_start;
  sub_ = major_ = 0;
  started_ = trailers_ = false;
  saw_cl_ = saw_te_ = te_other_ = saw_host_ = origin_ = false;
  conn_close_ = conn_keep_alive_ = expect_other_ = false;
  line_bytes_ = head_bytes_ = 0;
  remaining_ = body_seen_ = 0;
  name_ = {};
}

bool Parser::at_message_start() const noexcept { return state_ == s_done || (state_ == s_start && !started_); }
bool Parser::in_body() const noexcept {
  return (state_ >= s_head_done && state_ < s_done) || (trailers_ && state_ < s_done);
}

Step Parser::fail(int status, std::string_view reason, std::size_t consumed) noexcept {
  error_ = Error{status, true, reason};
  state_ = s_error;
  tok_open_ = false;
  return {Event::error, consumed, {}};
}

namespace {
bool in_scratch(const char* s, std::size_t cap, std::string_view v) {
  if (!s) return false;
  std::less_equal<const char*> le;
  return le(s, v.data()) && le(v.data() + v.size(), s + cap);
}
}  // namespace

bool Parser::grow_fields(std::size_t used) noexcept {
  const std::size_t most = limits_.max_headers ? limits_.max_headers : 1;
  const std::size_t cap = std::min(most, fields_cap_ ? fields_cap_ * 2 : std::size_t{16});
  if (cap <= fields_cap_) return false;
  std::unique_ptr<Header[]> f(cap == kCachedFields ? FieldCache::take() : new (std::nothrow) Header[cap]);
  if (!f) return false;
  std::copy(fields_.get(), fields_.get() + used, f.get());
  if (fields_cap_ == kCachedFields) FieldCache::give(fields_.release());
  fields_ = std::move(f);
  fields_cap_ = cap;
  return true;
}

bool Parser::ensure_scratch() noexcept {
  if (!scratch_) scratch_.reset(new (std::nothrow) char[scratch_cap_]);
  return scratch_ != nullptr;
}

void Parser::detach() noexcept {
  if (state_ == s_done) {  // the finished request is not needed any more
    reset();
    return;
  }
  if (state_ == s_start && !started_) return;  // nothing of a request yet
  // The views to move; the open token's partial bytes (if it spilled) sit at the end of scratch
  // and must stay contiguous with what the next feed() appends, so they move behind the copies.
  std::string_view* views[4 + 2 * 1024];
  std::size_t nv = 0, total = 0;
  auto want = [&](std::string_view& v) {
    if (v.empty() || in_scratch(scratch_.get(), scratch_cap_, v)) return;
    views[nv++] = &v;
    total += v.size();
  };
  auto copy_all = [&](std::size_t at) {
    for (std::size_t k = 0; k < nv; ++k) {
      std::string_view& v = *views[k];
      std::memcpy(scratch_.get() + at, v.data(), v.size());
      v = {scratch_.get() + at, v.size()};
      at += v.size();
    }
  };
  auto flush = [&] {
    if (nv == 0 || !ensure_scratch()) return;
    if (scratch_len_ + total > scratch_cap_) return;  // cannot happen: tokens never exceed the counted head bytes
    if (tok_open_ && tok_spilled_) {
      const std::size_t partial = scratch_len_ - tok_scratch_;
      std::memmove(scratch_.get() + tok_scratch_ + total, scratch_.get() + tok_scratch_, partial);
      copy_all(tok_scratch_);
      tok_scratch_ += total;
    } else {
      copy_all(scratch_len_);
    }
    scratch_len_ += total;
    nv = total = 0;
  };
  want(head_.method);
  want(head_.target);
  for (std::size_t i = 0; i < nfields_; ++i) {
    want(fields_[i].name);
    want(fields_[i].value);
    if (nv >= 2 * 1024) flush();
  }
  if (!trailers_ && (state_ == s_value_ows || state_ == s_value)) want(name_);
  flush();
}

Step Parser::feed(std::string_view in) noexcept {
  if (state_ == s_error) return {Event::error, 0, {}};
  if (state_ == s_done) {
    const Limits keep = limits_;
    reset();
    limits_ = keep;
  }
  if (state_ == s_start && !started_ && !in.empty()) {  // a whole head in one buffer: the common case
    if (const std::size_t used = Impl::fast_head(*this, in.data(), in.size())) return {Event::head, used, {}};
  }
  if (state_ == s_head_done) {
    if (!head_.has_body()) {
      state_ = s_done;
      return {Event::done, 0, {}};
    }
    if (head_.chunked) {
      state_ = s_chunk_size;
      sub_ = 0;
      line_bytes_ = 0;
      remaining_ = 0;
    } else {
      state_ = s_body_identity;
      remaining_ = head_.content_length;
    }
  }
  if (state_ == s_body_end) {
    state_ = s_done;
    return {Event::done, 0, {}};
  }
  return scan(in);
}

// Kept out of line: the common steps above return without paying for this one's stack frame.
[[gnu::noinline]] Step Parser::scan(std::string_view in) noexcept {
  const char* p = in.data();
  const std::size_t n = in.size();
  std::size_t i = 0;
  if (tok_open_) tok_begin_ = 0;

  auto open = [&](std::size_t at) {
    tok_open_ = true;
    tok_spilled_ = false;
    tok_begin_ = at;
  };
  auto close = [&](std::size_t at) -> std::string_view {
    tok_open_ = false;
    if (!tok_spilled_) return {p + tok_begin_, at - tok_begin_};
    const std::size_t len = at - tok_begin_;
    if (scratch_len_ + len <= scratch_cap_) {
      std::memcpy(scratch_.get() + scratch_len_, p + tok_begin_, len);
      scratch_len_ += len;
    }
    return {scratch_.get() + tok_scratch_, scratch_len_ - tok_scratch_};
  };

  if (n) started_ = true;
  while (i < n) {
    // Fast path: inside a method, target, field name or field value, a run of bytes of the
    // token's class changes nothing but the byte budget, so skip the run and charge it at once.
    // (A run that would break the budget is left to the byte-by-byte path, which fails exactly.)
    // (In a target, not while the two hex digits after a "%" are due: sub_ counts them.)
    if (state_ == s_method || (state_ == s_target && sub_ == 0) || state_ == s_name || state_ == s_value) {
      const detail::CharClass k = state_ == s_method || state_ == s_name ? detail::kTchar
                                  : state_ == s_target                  ? detail::kTarget
                                                                        : detail::kFieldChar;
      std::size_t j = i;
      while (j < n && is(p[j], k)) ++j;
      const std::size_t run = j - i;
      const bool line = state_ <= s_rl_lf;
      std::size_t& used = line ? line_bytes_ : head_bytes_;
      const std::size_t limit = line ? limits_.max_request_line : limits_.max_header_bytes;
      if (run != 0 && used + run <= limit) {
        used += run;
        i = j;
        if (i == n) break;
      }
    }
    // Fast path: a whole "HTTP/1.1\r\n" (or 1.0) in this buffer ends the request line at once.
    if (state_ == s_version && sub_ == 0 && n - i >= 10 && line_bytes_ + 10 <= limits_.max_request_line &&
        std::memcmp(p + i, "HTTP/1.", 7) == 0 && (p[i + 7] == '1' || p[i + 7] == '0') && p[i + 8] == '\r' &&
        p[i + 9] == '\n') {
      major_ = 1;
      head_.minor_version = p[i + 7] - '0';
      line_bytes_ += 10;
      i += 10;
      state_ = s_field_start;
      continue;
    }
    const char c = p[i];
    // Byte budgets: each byte is charged before it is looked at.
    if (state_ <= s_rl_lf) {
      if (++line_bytes_ > limits_.max_request_line) return fail(414, "request line too long", i);
    } else if (state_ <= s_head_lf) {
      if (++head_bytes_ > limits_.max_header_bytes) return fail(431, "header section too large", i);
    } else if (state_ >= s_chunk_size && state_ <= s_chunk_size_lf) {
      if (++line_bytes_ > kMaxChunkLine) return fail(400, "chunk line too long", i);
    }

    switch (state_) {
      // ---- request line -------------------------------------------------
      case s_start:
        if (c == '\r') { state_ = s_start_lf; break; }
        if (!is(c, detail::kTchar)) return fail(400, "invalid method", i);
        open(i);
        state_ = s_method;
        break;
      case s_start_lf:  // RFC 9112 §2.2: a few empty lines before the request line are ignored; sub_ counts them
        if (c != '\n') return fail(400, "bare CR", i);
        if (++sub_ > kMaxEmptyLines) return fail(400, "too many empty lines before the request line", i);
        state_ = s_start;
        break;
      case s_method:
        if (is(c, detail::kTchar)) break;
        if (c != ' ') return fail(400, "invalid method", i);
        head_.method = close(i);
        state_ = s_target_start;
        sub_ = 0;
        break;
      case s_target_start:
        if (c == ' ') return fail(400, "empty request-target", i);
        origin_ = c == '/';
        open(i);
        state_ = s_target;
        [[fallthrough]];  // the first byte obeys the same rules as the rest
      case s_target:  // RFC 9112 §3.2, RFC 3986: pchar, "/", "?" and %XX; the form is checked at the end
        if (sub_ != 0) {  // one of the two hex digits after a "%"
          if (!is(c, detail::kHex)) return fail(400, "invalid percent-encoding in request-target", i);
          --sub_;
          break;
        }
        if (is(c, detail::kTarget)) break;
        if (c == '%') {
          sub_ = 2;
          break;
        }
        if ((c == '[' || c == ']') && !origin_) break;  // an IP-literal in the authority (check_target decides)
        if (c == '#') return fail(400, "fragment in request-target", i);
        if (c != ' ') return fail(400, "invalid character in request-target", i);
        head_.target = close(i);
        {
          std::string_view why;
          if (int st = Impl::check_target(*this, why)) return fail(st, why, i);
        }
        state_ = s_version;
        sub_ = 0;
        break;
      case s_version:
        if (sub_ < 5) {
          if (c != "HTTP/"[sub_]) return fail(400, "invalid HTTP version", i);
        } else if (sub_ == 5 || sub_ == 7) {
          if (c < '0' || c > '9') return fail(400, "invalid HTTP version", i);
          if (sub_ == 5) major_ = static_cast<std::uint8_t>(c - '0');
          else head_.minor_version = c - '0';
        } else if (c != '.') {
          return fail(400, "invalid HTTP version", i);
        }
        if (++sub_ == 8) state_ = s_rl_cr;
        break;
      case s_rl_cr:
        if (c != '\r') return fail(400, "invalid HTTP version", i);
        state_ = s_rl_lf;
        break;
      case s_rl_lf:
        if (c != '\n') return fail(400, "bare CR", i);
        if (major_ != 1 || head_.minor_version > 1) return fail(505, "HTTP version not supported", i + 1);
        state_ = s_field_start;
        break;

      // ---- field lines (head and trailers) -------------------------------
      case s_field_start:
        if (c == '\r') { state_ = s_head_lf; break; }
        if (is_ows(c)) return fail(400, "obs-fold or whitespace before a field", i);
        if (!is(c, detail::kTchar)) return fail(400, "invalid field name", i);
        if (!trailers_) {
          if (nfields_ == limits_.max_headers) return fail(431, "too many header fields", i);
          if (nfields_ == fields_cap_ && !grow_fields(nfields_)) return fail(431, "no memory for header fields", i);
          open(i);
        }
        state_ = s_name;
        break;
      case s_name:
        if (is(c, detail::kTchar)) break;
        if (c != ':') return fail(400, "invalid field name", i);
        if (!trailers_) name_ = close(i);
        state_ = s_value_ows;
        break;
      case s_value_ows:
        if (is_ows(c)) break;
        if (c == '\r') {
          if (!trailers_) {
            fields_[nfields_++] = Header{std::exchange(name_, {}), {}};
            std::string_view why;
            if (int st = Impl::on_field(*this, fields_[nfields_ - 1].name, {}, why)) return fail(st, why, i);
          }
          state_ = s_value_lf;
          break;
        }
        if (!is(c, detail::kFieldChar)) return fail(400, "invalid character in field value", i);
        if (!trailers_) open(i);
        state_ = s_value;
        break;
      case s_value:
        if (is(c, detail::kFieldChar)) break;
        if (c != '\r') return fail(400, "invalid character in field value", i);
        if (!trailers_) {
          std::string_view v = close(i);
          while (!v.empty() && is_ows(v.back())) v.remove_suffix(1);
          fields_[nfields_++] = Header{std::exchange(name_, {}), v};
          std::string_view why;
          if (int st = Impl::on_field(*this, fields_[nfields_ - 1].name, v, why)) return fail(st, why, i);
        }
        state_ = s_value_lf;
        break;
      case s_value_lf:
        if (c != '\n') return fail(400, "bare CR", i);
        state_ = s_field_start;
        break;
      case s_head_lf:
        if (c != '\n') return fail(400, "bare CR", i);
        if (trailers_) {
          state_ = s_done;
          return {Event::done, i + 1, {}};
        }
        head_.headers = {fields_.get(), nfields_};
        {
          std::string_view why;
          if (int st = Impl::on_head_end(*this, why)) return fail(st, why, i + 1);
        }
        state_ = s_head_done;
        return {Event::head, i + 1, {}};

      // ---- bodies ----------------------------------------------------------
      case s_body_identity: {
        const std::size_t take = remaining_ < n - i ? static_cast<std::size_t>(remaining_) : n - i;
        remaining_ -= take;
        if (remaining_ == 0) state_ = s_body_end;
        return {Event::body, i + take, {p + i, take}};
      }
      case s_chunk_size:
        if (is(c, detail::kHex)) {
          const std::uint64_t d = static_cast<std::uint64_t>(detail::hex_value(c));
          const std::uint64_t budget = limits_.max_body - body_seen_;  // body_seen_ never exceeds max_body
          if (remaining_ > budget / 16 || remaining_ * 16 + d > budget) return fail(413, "body larger than max_body", i);
          remaining_ = remaining_ * 16 + d;
          sub_ = 1;
          break;
        }
        if (sub_ == 0) return fail(400, "invalid chunk size", i);
        if (c == '\r') { state_ = s_chunk_size_lf; break; }
        if (is_ows(c)) { state_ = s_chunk_ext; sub_ = e_bws; break; }
        if (c == ';') { state_ = s_chunk_ext; sub_ = e_name_bws; break; }
        return fail(400, "invalid chunk size", i);
      case s_chunk_ext: {
        const bool ows = is_ows(c), tchar = is(c, detail::kTchar);
        switch (sub_) {
          case e_bws:
            if (ows) break;
            if (c == ';') { sub_ = e_name_bws; break; }
            if (c == '\r') { state_ = s_chunk_size_lf; break; }
            return fail(400, "invalid chunk extension", i);
          case e_name_bws:
            if (ows) break;
            if (!tchar) return fail(400, "invalid chunk extension", i);
            sub_ = e_name;
            break;
          case e_name:
          case e_name_end:
            if (tchar && sub_ == e_name) break;
            if (ows) { sub_ = e_name_end; break; }
            if (c == '=') { sub_ = e_val_bws; break; }
            if (c == ';') { sub_ = e_name_bws; break; }
            if (c == '\r') { state_ = s_chunk_size_lf; break; }
            return fail(400, "invalid chunk extension", i);
          case e_val_bws:
            if (ows) break;
            if (c == '"') { sub_ = e_q; break; }
            if (!tchar) return fail(400, "invalid chunk extension", i);
            sub_ = e_tok;
            break;
          case e_tok:
            if (tchar) break;
            if (ows) { sub_ = e_bws; break; }
            if (c == ';') { sub_ = e_name_bws; break; }
            if (c == '\r') { state_ = s_chunk_size_lf; break; }
            return fail(400, "invalid chunk extension", i);
          case e_q:
            if (c == '"') { sub_ = e_bws; break; }
            if (c == '\\') { sub_ = e_qp; break; }
            if (!is(c, detail::kQdtext)) return fail(400, "invalid chunk extension", i);
            break;
          case e_qp:
            if (!is(c, detail::kFieldChar)) return fail(400, "invalid chunk extension", i);
            sub_ = e_q;
            break;
        }
        break;
      }
      case s_chunk_size_lf:
        if (c != '\n') return fail(400, "bare CR", i);
        if (remaining_ == 0) {  // last-chunk: the trailer section follows
          trailers_ = true;
          head_bytes_ = 0;
          state_ = s_field_start;
        } else {
          state_ = s_chunk_data;
        }
        break;
      case s_chunk_data: {
        const std::size_t take = remaining_ < n - i ? static_cast<std::size_t>(remaining_) : n - i;
        remaining_ -= take;
        body_seen_ += take;
        if (remaining_ == 0) state_ = s_chunk_data_cr;
        return {Event::body, i + take, {p + i, take}};
      }
      case s_chunk_data_cr:
        if (c != '\r') return fail(400, "missing CRLF after chunk data", i);
        state_ = s_chunk_data_lf;
        break;
      case s_chunk_data_lf:
        if (c != '\n') return fail(400, "missing CRLF after chunk data", i);
        state_ = s_chunk_size;
        sub_ = 0;
        line_bytes_ = 0;
        break;
      default:
        return fail(500, "parser state", i);
    }
    ++i;
  }
  // Out of input inside a token: move what we have of it into scratch.
  if (tok_open_) {
    if (!ensure_scratch()) return fail(431, "no memory for the header scratch area", n);
    if (!tok_spilled_) {
      tok_spilled_ = true;
      tok_scratch_ = scratch_len_;
    }
    const std::size_t len = n - tok_begin_;
    if (scratch_len_ + len > scratch_cap_) return fail(431, "header section too large", n);
    std::memcpy(scratch_.get() + scratch_len_, p + tok_begin_, len);
    scratch_len_ += len;
  }
  return {Event::need_more, n, {}};
}

}  // namespace coring::http
