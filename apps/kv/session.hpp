// One client connection: read requests, run them, send the replies of a pipelined batch together.
#pragma once

#include "coring/coring.hpp"
#include "server.hpp"

namespace kv {

using coring::Stream;
using coring::Task;

/// Serves `s` until the client quits or closes, a protocol error, or the server stops.
Task<> session(Server& srv, Stream s);

}  // namespace kv
