// connect: Stream::connect(), a non-blocking, cancellable TCP connect through the shard's driver.
//
// Lifecycle: the connect is an fd-wait operation (runtime/net/fd_wait.hpp has
// its table). The new Conn lives in this coroutine's frame (the Stream `s`)
// for as long as the awaiter does, so the awaiter holds no reference of its
// own. The address is the frame's copy; io_uring copies it into the kernel
// when the connect is first issued.
#include <sys/socket.h>
#include <unistd.h>

#include "coring/net/stream.hpp"
#include "runtime/net/fd_wait.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {

Task<Result<Stream>> Stream::connect(SocketAddress addr, ConnectOptions opts) {
  detail::Loop* loop = detail::Loop::current();
  if (!loop) co_return errc::operation_not_permitted;
  int fd = detail::open_socket(*loop, addr.family());
  if (fd < 0) co_return errno_code(errno);
  Stream s(detail::StreamOps::make(loop, fd));
  if (auto set = detail::apply_connect_options(fd, opts); !set) co_return set.error();
  detail::Conn* c = s.conn_;
  auto start = [c, &addr](detail::Driver& d, detail::Completion& op) { return d.connect(*c, op, addr); };
  int32_t r = co_await detail::FdOpAwaiter<decltype(start)>(c, start);
  if (r < 0) co_return errno_code(r);
  co_return std::move(s);
}

}  // namespace coring
