// Listening sockets a server inherits instead of binding (--listen-fd, systemd's LISTEN_FDS, a predecessor's
// hand-over), shared out over the shards, and the table of every shard's sockets kept for a successor.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "coring/coring.hpp"

namespace coring::apps {

/// The listening options every server app shares, and what they gathered.
struct ListenSetup {
  std::vector<int> listen_fds;  // --listen-fd N (repeatable)
  std::string upgrade_from;     // --upgrade-from PATH: take the sockets of the server serving PATH
  std::string upgrade_socket;   // --upgrade-socket PATH: serve upgrades here (default: --upgrade-from's PATH)
  std::vector<int> inherited;   // every inherited socket, one descriptor each (gather_inherited)
};

/// Adds --listen-fd, --upgrade-from and --upgrade-socket.
void add_listen_options(CLI::App& app, ListenSetup& setup);

/// Gathers the inherited listening sockets: --listen-fd, then systemd's
/// (LISTEN_PID/LISTEN_FDS, read and unset), then a predecessor's
/// (--upgrade-from; blocks until it has stopped accepting). A socket given
/// twice is kept once. False, after a line on stderr naming `app`, on an error.
/// Call it before the runtime starts serving (the predecessor keeps serving until then).
bool gather_inherited(const char* app, ListenSetup& setup);

/// The listening sockets of every shard, written once by each shard at
/// start-up (then read by the upgrade task), and the count of accept loops
/// still running (a successor is told to start when it reaches zero).
class ListenerTable {
 public:
  explicit ListenerTable(unsigned shards) : fds_(shards) {}
  /// Records the calling shard's listening socket `fd` and wraps its accept loop so that its end is counted.
  Task<> track(int fd, Task<> accept_loop);
  /// Every recorded socket (the descriptors stay this process's).
  std::vector<int> all() const;
  unsigned accepting() const noexcept { return accepting_.load(std::memory_order_acquire); }

 private:
  std::vector<std::vector<int>> fds_;
  std::atomic<unsigned> accepting_{0};
};

/// Adopts the calling shard's share of `setup.inherited` and calls
/// `serve(Listener)` for each (it spawns the accept loop). Every socket is
/// accepted from by some shard whatever the shard count: with more sockets
/// than shards a shard takes several; with fewer, shards share one (a dup).
/// Returns the first socket's address.
template <class Serve>
Result<SocketAddress> adopt_share(const char* app, const ListenSetup& setup, Serve serve);

std::vector<int> share_of(const std::vector<int>& fds, unsigned shard, unsigned shards);

template <class Serve>
Result<SocketAddress> adopt_share(const char* app, const ListenSetup& setup, Serve serve) {
  Result<SocketAddress> first = errc::bad_file_descriptor;
  for (int fd : share_of(setup.inherited, this_shard(), shard_count())) {
    auto l = Listener::adopt(fd);
    if (!l) {
      std::fprintf(stderr, "%s: cannot adopt fd %d (shard %u): %s\n", app, fd, this_shard(),
                   l.error().message().c_str());
      return l.error();
    }
    if (!first) first = l->local_address();
    serve(std::move(*l));
  }
  return first;
}

}  // namespace coring::apps
