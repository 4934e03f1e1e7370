// Stream::connect: a non-blocking, cancellable TCP connect on the shard's backend.
#include <sys/socket.h>
#include <unistd.h>

#include "coring/net/stream.hpp"
#include "runtime/net/fd_wait.hpp"
#include "runtime/net/stream_ops.hpp"

namespace coring {

Task<Result<Stream>> Stream::connect(SocketAddress addr) {
  detail::Loop* loop = detail::Loop::current();
  if (!loop) co_return errc::operation_not_permitted;
  int flags = SOCK_STREAM | SOCK_CLOEXEC;
  if (loop->driver().backend() == Backend::epoll) flags |= SOCK_NONBLOCK;
  int fd = ::socket(addr.family(), flags, 0);
  if (fd < 0) co_return errno_code(errno);
  Stream s(detail::StreamOps::make(loop, fd));
  detail::Conn* c = s.conn_;
  auto start = [c, &addr](detail::Driver& d, detail::Completion& op) { return d.connect(*c, op, addr); };
  int32_t r = co_await detail::FdOpAwaiter<decltype(start)>(c, start);
  if (r < 0) co_return errno_code(r);
  co_return std::move(s);
}

}  // namespace coring
