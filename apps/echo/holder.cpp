// coring-echo's --hold-port: connections that keep every buffer they receive until paused, then release them all.
#include "holder.hpp"

#include <vector>

namespace coring::apps {
namespace {

Task<> hold(Stream s, std::chrono::milliseconds ms) {
  std::vector<RecvBuffer> kept;
  for (;;) {
    auto b = co_await s.recv();
    if (b && !b->empty()) {
      kept.push_back(std::move(*b));
    } else if (!b && b.error() == std::errc::no_buffer_space) {  // at its share: paused, not closed
      (void)co_await sleep_for(ms);
      kept.clear();  // back to the pool: the next recv() receives again
    } else {
      co_return;  // EOF or an error
    }
  }
}

Task<> serve(Listener l, std::chrono::milliseconds ms) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;
    spawn(hold(std::move(*s), ms));
  }
}

}  // namespace

Result<void> start_holder(const SocketAddress& addr, std::chrono::milliseconds hold_for) {
  auto l = Listener::bind(addr);
  if (!l) return l.error();
  spawn(serve(std::move(*l), hold_for));
  return {};
}

}  // namespace coring::apps
