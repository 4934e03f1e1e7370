// UnixPath: the file a Unix-domain listener binds: removing a stale one first, and its own when it closes.
#pragma once

#include <sys/types.h>

#include <string>

#include "coring/net/address.hpp"
#include "coring/result.hpp"

namespace coring::detail {

/// The socket file of a listener bound to a Unix-domain path (nothing for
/// an abstract name or an IP address).
struct UnixPath {
  std::string path;
  dev_t dev = 0;
  ino_t ino = 0;

  /// Before bind: with `remove_stale`, removes a socket file left at `addr`'s
  /// path (a file of another type is left alone: bind then fails with
  /// address_in_use).
  static void prepare(const SocketAddress& addr, bool remove_stale) noexcept;
  /// After a successful bind: remembers the file, so remove() deletes it only
  /// while it is still the one this listener made.
  void bound(const SocketAddress& addr);
  /// At close: removes the file if it is still this listener's.
  void remove() noexcept;
};

}  // namespace coring::detail
