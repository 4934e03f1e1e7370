// BufferedWriter: copy into the one buffer when the bytes fit; otherwise flush, then buffer or send directly.
#include "coring/net/buffered_writer.hpp"

#include <cstring>

namespace coring {

Result<void> FlushAwaiter::await_resume() noexcept {
  auto r = send_.await_resume();
  w_->size_ = 0;  // sent, or dropped after an error (see BufferedWriter)
  if (!r) return r.error();
  return {};
}

void BufferedWriter::append(std::span<const std::byte> b) noexcept {
  if (b.empty()) return;
  if (!buf_) buf_ = std::make_unique_for_overwrite<std::byte[]>(cap_);
  std::memcpy(buf_.get() + size_, b.data(), b.size());
  size_ += b.size();
}

detail::MaybeReady<Result<void>> BufferedWriter::write(std::span<const std::byte> b) {
  if (b.size() <= cap_ - size_) {
    append(b);
    return Result<void>{};
  }
  return write_slow(b);
}

Task<Result<void>> BufferedWriter::write_slow(std::span<const std::byte> b) {
  if (size_) {
    auto r = co_await flush();
    if (!r) co_return r;
  }
  if (b.size() < cap_) {
    append(b);
    co_return Result<void>{};
  }
  auto r = co_await stream_->send_all(b);  // larger than the buffer: no copy
  if (!r) co_return r.error();
  co_return Result<void>{};
}

}  // namespace coring
