// BufferedReader: find tokens in the bytes buffered (owned copy, then the one receive buffer held); receive more when needed.
//
// The unread bytes are owned_[off_, size) followed by cur_ (the receive
// buffer held). A token inside cur_ alone is returned as a view into it; one
// that starts in owned_ and ends in cur_ is completed by copying just its tail
// from cur_. Before receiving again, the reader copies cur_'s rest into owned_
// and gives cur_ back to the pool, so it never holds two receive buffers.
// Memory a returned view points into is released or moved only by the next
// read call (fill), never by the call that returned it.
#include "coring/net/buffered_reader.hpp"

#include <optional>

namespace coring {
namespace {
using View = Result<std::string_view>;
}

void BufferedReader::consume(std::size_t n) noexcept {
  const std::size_t a = owned_size();
  if (n <= a) {
    off_ += n;
    return;
  }
  off_ = owned_.size();
  cur_.consume(n - a);
}

// Copies the first `k` bytes of cur_ after owned_'s unread ones and returns
// all of them as one token, consumed.
std::string_view BufferedReader::take_spanning(std::size_t k) {
  owned_.append(cur_.view().substr(0, k));
  cur_.consume(k);
  std::string_view token = owned_view();
  off_ = owned_.size();
  return token;
}

// A token ending with `delim`, or nothing yet. `from` is where the delimiter
// may start (bytes before it were searched already); on a miss it moves to
// the first position a longer buffer could still match at.
std::optional<std::string_view> BufferedReader::try_until(std::string_view delim, std::size_t& from) {
  const std::size_t d = delim.size();
  const std::size_t a = owned_size();
  const std::string_view c = cur_.view();
  if (a == 0) {
    const std::size_t pos = c.find(delim, from);
    if (pos != std::string_view::npos) {
      cur_.consume(pos + d);
      return c.substr(0, pos + d);  // zero-copy: a view into the receive buffer
    }
  } else {
    const std::string_view o = owned_view();
    if (from < a) {
      const std::size_t pos = o.find(delim, from);
      if (pos != std::string_view::npos) {
        off_ += pos + d;
        return o.substr(0, pos + d);
      }
    }
    // A delimiter that starts in owned_ and ends in cur_.
    for (std::size_t p = std::max(from, a >= d ? a - d + 1 : 0); p < a; ++p) {
      const std::size_t in_owned = a - p;
      if (in_owned + c.size() >= d && o.substr(p) == delim.substr(0, in_owned) &&
          c.substr(0, d - in_owned) == delim.substr(in_owned))
        return take_spanning(d - in_owned);
    }
    const std::size_t pos = c.find(delim, from > a ? from - a : 0);
    if (pos != std::string_view::npos) return take_spanning(pos + d);
  }
  const std::size_t total = a + c.size();
  from = total >= d ? total - d + 1 : 0;
  return std::nullopt;
}

std::optional<std::string_view> BufferedReader::try_exactly(std::size_t n) {
  const std::size_t a = owned_size();
  if (a == 0 && cur_.size() >= n) {
    std::string_view token = cur_.view().substr(0, n);  // zero-copy
    cur_.consume(n);
    return token;
  }
  if (a >= n) {
    std::string_view token = owned_view().substr(0, n);
    off_ += n;
    return token;
  }
  if (a > 0 && a + cur_.size() >= n) return take_spanning(n - a);
  return std::nullopt;
}

// End of stream reached with no token: empty at a boundary, an error mid-token.
static View at_end(std::size_t buffered) {
  if (buffered) return errc::connection_aborted;
  return std::string_view{};
}

std::optional<Result<std::size_t>> BufferedReader::fill_prepare() {
  if (eof_) return Result<std::size_t>(std::size_t{0});
  if (available() >= opts_.max_buffered) return Result<std::size_t>(errc::message_size);
  // Keep at most one receive buffer: copy the rest of cur_ out and return it.
  if (off_ == owned_.size()) {
    owned_.clear();
  } else if (off_ > 0) {
    owned_.erase(0, off_);
  }
  off_ = 0;
  if (!cur_.empty()) owned_.append(cur_.view());
  cur_.reset();
  return std::nullopt;
}

Result<std::size_t> BufferedReader::fill_done(Result<RecvBuffer> r) noexcept {
  if (!r) return r.error();
  if (r->empty()) {
    eof_ = true;
    return std::size_t{0};
  }
  const std::size_t n = r->size();
  cur_ = std::move(*r);
  return n;
}

Task<Result<std::string_view>> BufferedReader::until_slow(std::string_view delim, std::size_t from) {
  for (;;) {
    auto got = co_await fill();
    if (!got) co_return got.error();
    if (*got == 0) co_return at_end(available());
    if (auto token = try_until(delim, from)) co_return *token;
  }
}

Task<Result<std::string_view>> BufferedReader::exactly_slow(std::size_t n) {
  for (;;) {
    auto got = co_await fill();
    if (!got) co_return got.error();
    if (*got == 0) co_return at_end(available());
    if (auto token = try_exactly(n)) co_return *token;
  }
}

detail::MaybeReady<Result<std::string_view>> BufferedReader::read_until(std::string_view delim) {
  if (delim.empty()) return View(errc::invalid_argument);
  std::size_t from = 0;
  if (auto token = try_until(delim, from)) return View(*token);
  if (available() >= opts_.max_buffered) return View(errc::message_size);
  if (eof_) return at_end(available());
  return until_slow(delim, from);
}

detail::MaybeReady<Result<std::string_view>> BufferedReader::read_exactly(std::size_t n) {
  if (n > opts_.max_buffered) return View(errc::message_size);
  if (auto token = try_exactly(n)) return View(*token);
  if (eof_) return at_end(available());
  return exactly_slow(n);
}

}  // namespace coring
