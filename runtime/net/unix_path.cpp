// UnixPath: stale socket files removed before bind, and a listener's own file removed when it closes.
#include "runtime/net/unix_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace coring::detail {

namespace {
bool is_file_path(const SocketAddress& addr) { return addr.is_unix() && !addr.path().empty() && addr.path()[0] != '@'; }
}  // namespace

void UnixPath::prepare(const SocketAddress& addr, bool remove_stale) noexcept {
  if (!remove_stale || !is_file_path(addr)) return;
  const std::string p = addr.path();
  struct stat st{};
  if (::lstat(p.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(p.c_str());
}

void UnixPath::bound(const SocketAddress& addr) {
  if (!is_file_path(addr)) return;
  std::string p = addr.path();
  struct stat st{};
  if (::lstat(p.c_str(), &st) != 0) return;
  path = std::move(p);
  dev = st.st_dev;
  ino = st.st_ino;
}

void UnixPath::remove() noexcept {
  if (path.empty()) return;
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino) ::unlink(path.c_str());
  path.clear();
}

}  // namespace coring::detail
