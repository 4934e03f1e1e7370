// Hot upgrade: a running server hands its listening sockets to its successor over a Unix-domain control socket.
//
// The exchange on the control socket (both ends in this file):
//   old -> new  "coring-upgrade 1 N\n" with N listening sockets attached (SCM_RIGHTS)
//   new -> old  "ready\n"    (it has the sockets; it does not accept from them yet)
//   old         stops accepting: a graceful stop (SIGTERM to itself) takes every connection it
//               already accepted and those left in each socket's backlog, and serves them
//   old -> new  "stopped\n"  (no accept of the old process is left on any socket)
//   new         adopts the sockets, accepts from them, and serves the control socket's path itself
// Connections arriving meanwhile wait in the kernel's backlog: none is lost or reset. If the
// new process goes away before "ready", the old one goes on serving as before.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/inherited_listeners.hpp"
#include "coring/coring.hpp"

namespace coring::apps {

/// The successor's side, blocking (before its runtime serves): the sockets of
/// the server whose control socket is `path`, once it has stopped accepting.
Result<std::vector<int>> take_over(const std::string& path, std::chrono::milliseconds timeout);

/// The running server's side, on one shard: binds the control socket at
/// `path` (replacing a stale one) and serves upgrade requests until one
/// succeeds or the server stops. Returns the bind error, if any.
Result<void> serve_upgrades(const char* app, const std::string& path, ListenerTable& table);

}  // namespace coring::apps
