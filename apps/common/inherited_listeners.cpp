// Inherited listening sockets: the options, gathering them (--listen-fd, LISTEN_FDS, --upgrade-from), sharing them out over the shards.
#include "common/inherited_listeners.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "common/upgrade.hpp"

namespace coring::apps {

void add_listen_options(CLI::App& app, ListenSetup& setup) {
  app.add_option("--listen-fd", setup.listen_fds,
                 "serve an inherited listening socket instead of binding (repeatable); "
                 "systemd's (LISTEN_FDS) are used without it");
  app.add_option("--upgrade-from", setup.upgrade_from,
                 "hot upgrade: take the listening sockets of the server whose --upgrade-socket is PATH");
  app.add_option("--upgrade-socket", setup.upgrade_socket,
                 "serve hot upgrades on this Unix-domain path (default: the --upgrade-from path)");
}

namespace {

/// Appends `fd` unless a descriptor of the same socket is there already (then closes it).
void add_unique(std::vector<int>& out, int fd) {
  struct stat a{};
  if (::fstat(fd, &a) == 0) {
    for (int have : out) {
      struct stat b{};
      if (::fstat(have, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
        ::close(fd);
        return;
      }
    }
  }
  out.push_back(fd);  // (a bad fd stays, for Listener::adopt to name)
}

}  // namespace

bool gather_inherited(const char* app, ListenSetup& setup) {
  for (int fd : setup.listen_fds) add_unique(setup.inherited, fd);
  auto act = activation_fds();
  if (!act) {
    std::fprintf(stderr, "%s: bad LISTEN_PID/LISTEN_FDS: %s\n", app, act.error().message().c_str());
    return false;
  }
  for (const ActivationFd& a : *act) add_unique(setup.inherited, a.fd);
  if (!setup.upgrade_from.empty()) {
    auto fds = take_over(setup.upgrade_from, std::chrono::milliseconds(30'000));
    if (!fds) {
      std::fprintf(stderr, "%s: upgrade from %s failed: %s\n", app, setup.upgrade_from.c_str(),
                   fds.error().message().c_str());
      return false;
    }
    for (int fd : *fds) add_unique(setup.inherited, fd);
    std::fprintf(stderr, "%s: took over %zu listening socket%s from %s\n", app, fds->size(),
                 fds->size() == 1 ? "" : "s", setup.upgrade_from.c_str());
    if (setup.upgrade_socket.empty()) setup.upgrade_socket = setup.upgrade_from;
  }
  return true;
}

std::vector<int> share_of(const std::vector<int>& fds, unsigned shard, unsigned shards) {
  std::vector<int> mine;
  if (fds.empty()) return mine;
  if (fds.size() >= shards) {
    for (std::size_t i = shard; i < fds.size(); i += shards) mine.push_back(fds[i]);
  } else if (shard < fds.size()) {
    mine.push_back(fds[shard]);
  } else {
    mine.push_back(::dup(fds[shard % fds.size()]));  // fewer sockets than shards: shards share one
  }
  return mine;
}

namespace {
Task<> counted(std::atomic<unsigned>& n, Task<> accept_loop) {
  co_await std::move(accept_loop);
  n.fetch_sub(1, std::memory_order_release);
}
}  // namespace

Task<> ListenerTable::track(int fd, Task<> accept_loop) {
  fds_[this_shard()].push_back(fd);
  accepting_.fetch_add(1, std::memory_order_relaxed);
  return counted(accepting_, std::move(accept_loop));
}

std::vector<int> ListenerTable::all() const {
  std::vector<int> out;
  for (const auto& shard : fds_) out.insert(out.end(), shard.begin(), shard.end());
  return out;
}

}  // namespace coring::apps
