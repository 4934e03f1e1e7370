// Datagram: a UDP socket owned by one shard: send_to, recv_from into the caller's buffer, optional connect.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

#include "coring/core/task.hpp"
#include "coring/net/address.hpp"
#include "coring/net/socket_option.hpp"
#include "coring/result.hpp"

namespace coring {
namespace detail {
struct DatagramState;
}

struct DatagramOptions {
  bool reuse_address = false;  ///< SO_REUSEADDR
  /// SO_REUSEPORT: one socket per shard on one address, the kernel spreads
  /// datagrams by their source.
  bool reuse_port = false;
};

/// A UDP socket owned by one shard. Move-only; destroying it closes the
/// socket after cancelling what is in flight. One recv_from() and one send
/// at a time: a second one while another waits fails at once with
/// `errc::device_or_resource_busy`. Every wait is cancellable
/// (`operation_canceled`, or `timed_out` under with_timeout); close() fails
/// the waiting ones with `operation_canceled`. On io_uring the kernel
/// receives and sends (IORING_OP_RECVMSG / SENDMSG); on epoll the calls run
/// at once and wait for readiness when the socket has nothing (or no room).
class Datagram {
 public:
  /// What recv_from() received: `size` bytes at the start of the caller's
  /// buffer, from `from`. `truncated`: the datagram was longer than the
  /// buffer and the rest is lost (UDP keeps message boundaries).
  struct Received {
    std::size_t size = 0;
    SocketAddress from;
    bool truncated = false;
  };

  Datagram() = default;
  Datagram(Datagram&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
  Datagram& operator=(Datagram&& o) noexcept {
    if (this != &o) {
      close();
      st_ = std::exchange(o.st_, nullptr);
    }
    return *this;
  }
  Datagram(const Datagram&) = delete;
  Datagram& operator=(const Datagram&) = delete;
  ~Datagram() { close(); }

  /// A socket bound to `local` ("0.0.0.0:5353", "[::1]:0"; port 0: any free port).
  static Result<Datagram> bind(const SocketAddress& local, DatagramOptions opts = {});
  static Result<Datagram> bind(std::string_view local, DatagramOptions opts = {});

  /// Sets the default peer (send() goes there) and keeps only its datagrams.
  /// UDP's connect sends nothing, so it does not wait. An ICMP error from the
  /// peer (nobody listening) then fails a later receive with
  /// `connection_refused`.
  Result<void> connect(const SocketAddress& peer) noexcept;

  /// Sends one datagram of `bytes` to `to`; gives the bytes sent (all of them).
  Task<Result<std::size_t>> send_to(std::span<const std::byte> bytes, SocketAddress to);
  Task<Result<std::size_t>> send_to(std::string_view bytes, SocketAddress to);
  /// Sends one datagram to the connected peer.
  Task<Result<std::size_t>> send(std::span<const std::byte> bytes);
  Task<Result<std::size_t>> send(std::string_view bytes);
  /// Receives one datagram into `buffer` (the caller's memory, written until
  /// the call returns), with its source address.
  Task<Result<Received>> recv_from(std::span<std::byte> buffer);

  /// Cancels what is in flight (its tasks resume with operation_canceled)
  /// and closes the socket. Idempotent.
  void close() noexcept;
  bool is_open() const noexcept { return st_ != nullptr; }
  int native_handle() const noexcept;
  SocketAddress local_address() const;
  /// Sets or reads a socket option; `bad_file_descriptor` once closed.
  Result<void> set_option(SocketOption opt, int value) noexcept;
  Result<int> get_option(SocketOption opt) const noexcept;

 private:
  detail::DatagramState* st_ = nullptr;
};

}  // namespace coring
