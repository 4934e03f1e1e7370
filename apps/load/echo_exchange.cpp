// The echo protocol of coring-load: send one message, read back exactly as many bytes, compare every byte.
#include <cstdio>
#include <cstring>

#include "load.hpp"

namespace coring::load {

void Shared::report(const char* what, uint32_t conn, const std::string& why) {
  if (reported++ < 10) std::fprintf(stderr, "coring-load: connection %u: %s: %s\n", conn, what, why.c_str());
}

void count(Shared& sh, Outcome o) {
  if (o == Outcome::verify_failed) ++sh.verify_failures;
  if (o == Outcome::failed) ++sh.errors;
}

namespace {

/// Reads exactly `want.size()` bytes and compares them with `want`.
Task<Outcome> receive_expected(Stream& s, std::span<const std::byte> want, Shared& sh, uint32_t conn) {
  std::size_t got = 0;
  while (got < want.size()) {
    auto chunk = co_await s.recv();
    if (!sh.received(chunk, conn)) co_return Outcome::failed;
    const std::size_t n = chunk->size();
    if (n > want.size() - got) {
      sh.report("verify", conn, "more bytes echoed than sent");
      co_return Outcome::verify_failed;
    }
    if (std::memcmp(chunk->data(), want.data() + got, n) != 0) {
      sh.report("verify", conn, "echoed bytes differ from the bytes sent at offset " + std::to_string(got));
      co_return Outcome::verify_failed;
    }
    got += n;
  }
  co_return Outcome::ok;
}

Task<Outcome> send_message(Stream& s, std::span<const std::byte> msg, Shared& sh, uint32_t conn) {
  auto w = co_await s.send_all(msg);
  if (!w) {
    sh.report("send", conn, w.error().message());
    co_return Outcome::failed;
  }
  co_return Outcome::ok;
}

}  // namespace

/// Small messages are sent, then read back; large ones are sent and read
/// concurrently (the server cannot echo a message larger than the socket
/// buffers until we read).
Task<Outcome> exchange(Stream& s, Shared& sh, uint32_t conn, uint64_t k) {
  if (sh.cfg->http) co_return co_await http_exchange(s, sh, conn);
  const auto msg = sh.message(conn, k);
  if (msg.size() <= 16 * 1024) {
    if (co_await send_message(s, msg, sh, conn) != Outcome::ok) co_return Outcome::failed;
    co_return co_await receive_expected(s, msg, sh, conn);
  }
  auto [sent, echoed] = co_await when_all(send_message(s, msg, sh, conn), receive_expected(s, msg, sh, conn));
  if (echoed == Outcome::verify_failed) co_return Outcome::verify_failed;
  if (sent != Outcome::ok || echoed != Outcome::ok) co_return Outcome::failed;
  co_return Outcome::ok;
}

}  // namespace coring::load
