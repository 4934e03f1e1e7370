// Datagram I/O: send_to, send and recv_from, each one DatagramOp over a msghdr in the coroutine's frame.
#include <sys/socket.h>

#include "coring/detail/shard_check.hpp"
#include "coring/net/datagram.hpp"
#include "runtime/net/datagram_op.hpp"

namespace coring {
using detail::DatagramOp;

namespace {
// The bytes as the kernel's iovec (it only reads them for a send).
iovec iov_of(std::span<const std::byte> b) { return {const_cast<std::byte*>(b.data()), b.size()}; }
std::span<const std::byte> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
}  // namespace

Task<Result<std::size_t>> Datagram::send_to(std::span<const std::byte> bytes, SocketAddress to) {
  if (!st_) co_return errc::bad_file_descriptor;
  detail::check_shard(st_->conn->loop, "a Datagram (send)");
  iovec iov = iov_of(bytes);
  msghdr msg{};
  msg.msg_name = to.data();
  msg.msg_namelen = to.size();
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const int32_t r = co_await DatagramOp(st_, &msg, true);
  if (r < 0) co_return errno_code(r);
  co_return static_cast<std::size_t>(r);
}

Task<Result<std::size_t>> Datagram::send_to(std::string_view bytes, SocketAddress to) {
  return send_to(bytes_of(bytes), to);
}

Task<Result<std::size_t>> Datagram::send(std::span<const std::byte> bytes) {
  if (!st_) co_return errc::bad_file_descriptor;
  detail::check_shard(st_->conn->loop, "a Datagram (send)");
  iovec iov = iov_of(bytes);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const int32_t r = co_await DatagramOp(st_, &msg, true);
  if (r < 0) co_return errno_code(r);
  co_return static_cast<std::size_t>(r);
}

Task<Result<std::size_t>> Datagram::send(std::string_view bytes) { return send(bytes_of(bytes)); }

Task<Result<Datagram::Received>> Datagram::recv_from(std::span<std::byte> buffer) {
  if (!st_) co_return errc::bad_file_descriptor;
  detail::check_shard(st_->conn->loop, "a Datagram (recv_from)");
  iovec iov{buffer.data(), buffer.size()};
  sockaddr_storage from{};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const int32_t r = co_await DatagramOp(st_, &msg, false);
  if (r < 0) co_return errno_code(r);
  Received got;
  got.size = static_cast<std::size_t>(r);
  got.from = SocketAddress::from(reinterpret_cast<const sockaddr*>(&from), msg.msg_namelen);
  got.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  co_return got;
}

}  // namespace coring
