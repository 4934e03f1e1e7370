// resolve(): host names to socket addresses with getaddrinfo on the offload pool, and its error category.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "coring/core/task.hpp"
#include "coring/net/address.hpp"
#include "coring/result.hpp"

namespace coring {

/// The category of name-resolution errors: the value is getaddrinfo's EAI_*
/// code (negative on Linux; EAI_NONAME: the name is unknown, EAI_AGAIN: a
/// temporary failure of the name server), the message gai_strerror's. An
/// EAI_SYSTEM failure is reported as the errno it carries instead.
const std::error_category& resolve_category() noexcept;

/// Resolves `host` ("example.com", "localhost", or a numeric IPv4/IPv6
/// address) to the addresses to try for a stream connection to `port`, in
/// getaddrinfo's order (RFC 6724). `family` is AF_UNSPEC (both), AF_INET or
/// AF_INET6. A numeric address is converted at once on the calling shard; a
/// name is looked up with getaddrinfo on the offload pool (it reads
/// /etc/hosts and may ask DNS servers: it blocks, never the shard).
/// Cancellable: a cancelled caller resumes at once with operation_canceled
/// (timed_out under with_timeout); getaddrinfo cannot be interrupted, so it
/// runs on to the resolver's own timeouts (resolv.conf) and its answer is
/// dropped (a stopping runtime still waits for it). Errors:
/// resolve_category() codes, `invalid_argument` for an empty host.
Task<Result<std::vector<SocketAddress>>> resolve(std::string host, uint16_t port, int family = AF_UNSPEC);

}  // namespace coring
