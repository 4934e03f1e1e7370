// coring-load: a closed-loop TCP echo load generator on the coring runtime that verifies every echoed byte.
//
// Each connection sends `--size` bytes, reads exactly that many back, compares
// them byte for byte with what it sent, records the round-trip time and starts
// again (closed loop: one message in flight per connection). Connections are
// opened in batches, each one proven with one echoed message before the next
// batch starts, so the server's accept backlog is never overrun. With
// `--sources` the sockets are bound to those local addresses before connecting
// (one address has ~28k ephemeral ports towards one server port).
//
// Output: one JSON line on stdout. Exit status 1 on any connection error or
// verification failure, 2 on bad arguments.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "coring/coring.hpp"
#include "common/app_setup.hpp"
#include "histogram.hpp"

using namespace coring;
using coring::apps::LatencyHistogram;

namespace {

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 7000;
  uint32_t connections = 100;
  uint32_t size = 64;
  double duration = 10.0;
  int64_t messages = -1;  // per connection; >= 0 replaces --duration
  std::string backend = "uring";
  std::string sources;
  bool hold_idle = false;
  uint32_t active = 0;  // --hold-idle: connections that keep echoing meanwhile
  uint32_t batch = 500;
  bool ramp_echo = true;
  double connect_timeout = 15.0;
  double timeout = 30.0;  // grace after --duration (or the whole run with --messages)
};

// Patterns: one shared block of pseudo-random bytes; message k of connection
// i is the window starting at an offset derived from (i, k), so every
// connection sends its own sequence and a stale or misrouted echo is caught.
constexpr std::size_t kWindow = 4096;

struct Shared {
  const Config* cfg = nullptr;
  std::vector<std::byte> pattern;  // size + kWindow bytes
  bool stop = false;
  LatencyHistogram hist;
  uint64_t messages = 0;       // measured (after the ramp)
  uint64_t ramp_messages = 0;  // one per connection, during the ramp
  uint64_t bytes = 0;
  uint64_t errors = 0;
  uint64_t connect_errors = 0;
  uint64_t verify_failures = 0;
  uint64_t reported = 0;

  std::span<const std::byte> message(uint32_t conn, uint64_t k) const {
    const uint64_t off = (uint64_t{conn} * 2654435761u + k * 40503u) % kWindow;
    return {pattern.data() + off, cfg->size};
  }
  void report(const char* what, uint32_t conn, const std::string& why) {
    if (reported++ < 10) std::fprintf(stderr, "coring-load: connection %u: %s: %s\n", conn, what, why.c_str());
  }
};

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum class Outcome { ok, verify_failed, failed };

/// Reads exactly `want.size()` bytes and compares them with `want`.
Task<Outcome> receive_expected(Stream& s, std::span<const std::byte> want, Shared& sh, uint32_t conn) {
  std::size_t got = 0;
  while (got < want.size()) {
    auto chunk = co_await s.recv();
    if (!chunk) {
      sh.report("recv", conn, chunk.error().message());
      co_return Outcome::failed;
    }
    if (chunk->empty()) {
      sh.report("recv", conn, "server closed the connection");
      co_return Outcome::failed;
    }
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

/// One verified round trip. Small messages are sent, then read back; large
/// ones are sent and read concurrently (the server cannot echo a message
/// larger than the socket buffers until we read).
Task<Outcome> exchange(Stream& s, Shared& sh, uint32_t conn, uint64_t k) {
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

void count(Shared& sh, Outcome o) {
  if (o == Outcome::verify_failed) ++sh.verify_failures;
  if (o == Outcome::failed) ++sh.errors;
}

/// The closed loop of one connection: until --messages are done or the run stops.
Task<> worker(Stream& s, Shared& sh, uint32_t conn, int64_t messages) {
  for (uint64_t k = 1;; ++k) {
    if (messages >= 0 ? k > static_cast<uint64_t>(messages) : sh.stop) break;
    const int64_t t0 = now_ns();
    const Outcome o = co_await exchange(s, sh, conn, k);
    if (o != Outcome::ok) {
      count(sh, o);
      s.close();
      co_return;
    }
    sh.hist.record(static_cast<uint64_t>(now_ns() - t0));
    ++sh.messages;
    sh.bytes += sh.cfg->size;
  }
}

/// An idle connection: nothing may arrive on it; the wait ends by cancellation.
Task<> idle_watch(Stream& s, Shared& sh, uint32_t conn) {
  auto r = co_await s.recv();
  if (!r && r.error() == errc::operation_canceled) co_return;
  if (!r) {
    sh.report("idle recv", conn, r.error().message());
    ++sh.errors;
  } else if (r->empty()) {
    sh.report("idle recv", conn, "server closed an idle connection");
    ++sh.errors;
  } else {
    sh.report("idle recv", conn, "unexpected bytes on an idle connection");
    ++sh.verify_failures;
  }
}

Task<> stopper(Shared& sh, double seconds) {
  co_await sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9)));
  sh.stop = true;
}

Task<> run_all(std::vector<Task<>> tasks) {
  co_await when_all(std::move(tasks));
}

/// run_all() under a deadline: errc::timed_out if it had to be cancelled.
Task<Result<void>> run_all_within(std::vector<Task<>> tasks, std::chrono::nanoseconds limit) {
  co_return co_await with_timeout(run_all(std::move(tasks)), limit);
}

// ---------- connecting ----------

/// A non-blocking connect from `source` (bind before connect). The Stream API
/// has no connect-from-address nor a public wait for writability, so the
/// socket is connected here and polled (with a growing sleep) until the
/// handshake finishes, then handed to the runtime with Stream::adopt().
Task<Result<Stream>> connect_from(const SocketAddress& server, const SocketAddress& source, double timeout_s) {
  int fd = ::socket(server.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) co_return errno_code(errno);
  int one = 1;
  // The port is picked at connect() time from the whole 4-tuple, not at bind().
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (::bind(fd, source.data(), source.size()) < 0 ||
      (::connect(fd, server.data(), server.size()) < 0 && errno != EINPROGRESS)) {
    const int e = errno;
    ::close(fd);
    co_return errno_code(e);
  }
  const int64_t deadline = now_ns() + static_cast<int64_t>(timeout_s * 1e9);
  auto pause = std::chrono::microseconds(100);
  for (;;) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 0) > 0) break;
    if (now_ns() > deadline) {
      ::close(fd);
      co_return errc::timed_out;
    }
    if (auto r = co_await sleep_for(pause); !r) {
      ::close(fd);
      co_return r.error();
    }
    pause = std::min(pause * 2, std::chrono::microseconds(20'000));
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    ::close(fd);
    co_return errno_code(err);
  }
  auto s = Stream::adopt(fd);  // sets the blocking mode its backend wants
  if (!s) ::close(fd);
  co_return std::move(s);
}

Task<Result<Stream>> connect_plain(SocketAddress server, double timeout_s) {
  co_return co_await with_timeout(Stream::connect(server),
                                  std::chrono::nanoseconds(static_cast<int64_t>(timeout_s * 1e9)));
}

/// Opens connection `i` and (unless --no-ramp-echo) proves it with one echo.
Task<> open_one(std::vector<Stream>& streams, uint32_t i, const SocketAddress& server,
                const std::vector<SocketAddress>& sources, Shared& sh) {
  // Two statements, not `cond ? co_await a : co_await b`: GCC 12 destroys the awaited
  // result of such a conditional twice (the Stream came out closed: EBADF on first send).
  Task<Result<Stream>> connecting = sources.empty()
                                        ? connect_plain(server, sh.cfg->connect_timeout)
                                        : connect_from(server, sources[i % sources.size()], sh.cfg->connect_timeout);
  Result<Stream> s = co_await std::move(connecting);
  if (!s) {
    ++sh.connect_errors;
    sh.report("connect", i, s.error().message());
    co_return;
  }
  if (sh.cfg->ramp_echo) {
    const Outcome o = co_await exchange(*s, sh, i, 0);
    if (o != Outcome::ok) {
      count(sh, o);
      ++sh.connect_errors;
      co_return;
    }
    ++sh.ramp_messages;
  }
  streams[i] = std::move(*s);
}

Task<> ramp(std::vector<Stream>& streams, const SocketAddress& server, const std::vector<SocketAddress>& sources,
            Shared& sh) {
  const uint32_t n = static_cast<uint32_t>(streams.size());
  for (uint32_t first = 0; first < n; first += sh.cfg->batch) {
    const uint32_t last = std::min(n, first + sh.cfg->batch);
    std::vector<Task<>> batch;
    batch.reserve(last - first);
    for (uint32_t i = first; i < last; ++i) batch.push_back(open_one(streams, i, server, sources, sh));
    co_await when_all(std::move(batch));
  }
}

// ---------- the run ----------

struct Report {
  uint32_t established = 0;
  double seconds = 0;
};

Task<Report> run(Shared& sh, SocketAddress server, std::vector<SocketAddress> sources) {
  const Config& cfg = *sh.cfg;
  std::vector<Stream> streams(cfg.connections);
  const int64_t r0 = now_ns();
  co_await ramp(streams, server, sources, sh);
  Report rep;
  rep.established = static_cast<uint32_t>(std::count_if(streams.begin(), streams.end(), [](const Stream& s) { return s.is_open(); }));
  std::fprintf(stderr, "coring-load: established %u of %u connections in %.2f s\n", rep.established, cfg.connections,
               double(now_ns() - r0) / 1e9);
  std::fflush(stderr);

  const auto guard = std::chrono::nanoseconds(static_cast<int64_t>(((cfg.messages >= 0 ? 0 : cfg.duration) + cfg.timeout) * 1e9));
  const int64_t t0 = now_ns();
  if (cfg.hold_idle) {
    std::vector<Task<>> active, idle;
    for (uint32_t i = 0; i < cfg.connections; ++i) {
      if (!streams[i].is_open()) continue;
      if (active.size() < cfg.active) active.push_back(worker(streams[i], sh, i, -1));
      else idle.push_back(idle_watch(streams[i], sh, i));
    }
    active.push_back(stopper(sh, cfg.duration));
    // The idle watchers end when the holding time is over (by cancellation).
    const auto hold = std::chrono::nanoseconds(static_cast<int64_t>(cfg.duration * 1e9));
    auto [a, h] = co_await when_all(run_all_within(std::move(active), guard), run_all_within(std::move(idle), hold));
    (void)h;  // timed_out: the expected end of the idle wait
    if (!a) {
      std::fprintf(stderr, "coring-load: active connections did not finish in time\n");
      ++sh.errors;
    }
  } else {
    std::vector<Task<>> tasks;
    for (uint32_t i = 0; i < cfg.connections; ++i)
      if (streams[i].is_open()) tasks.push_back(worker(streams[i], sh, i, cfg.messages));
    if (cfg.messages < 0) tasks.push_back(stopper(sh, cfg.duration));
    auto r = co_await run_all_within(std::move(tasks), guard);
    if (!r) {
      std::fprintf(stderr, "coring-load: the run did not finish in time (%s)\n", r.error().message().c_str());
      ++sh.errors;
    }
  }
  rep.seconds = double(now_ns() - t0) / 1e9;
  for (auto& s : streams) s.close();
  co_return rep;
}


std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

double us(uint64_t ns) { return double(ns) / 1000.0; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coring-load: closed-loop echo load generator with byte-exact verification"};
  app.set_version_flag("--version", std::string("coring-load ") + std::string(coring::version()));
  Config cfg;
  app.add_option("--host", cfg.host, "server address (numeric)");
  app.add_option("--port,-p", cfg.port, "server port");
  app.add_option("--connections,-c", cfg.connections, "concurrent connections")->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--size,-s", cfg.size, "bytes per message")->check(CLI::Range(1u, 64u << 20));
  app.add_option("--duration,-d", cfg.duration, "seconds to run (or to hold, with --hold-idle)")->check(CLI::NonNegativeNumber);
  app.add_option("--messages,-n", cfg.messages, "messages per connection instead of --duration (0: connect only)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--backend", cfg.backend, "uring | epoll")->check(CLI::IsMember({"uring", "epoll", "auto"}));
  app.add_option("--sources", cfg.sources, "comma-separated local addresses to connect from, e.g. 127.0.0.1,127.0.0.2");
  app.add_flag("--hold-idle", cfg.hold_idle, "open the connections and keep them idle for --duration");
  app.add_option("--active", cfg.active, "with --hold-idle: connections that keep echoing meanwhile");
  app.add_option("--batch", cfg.batch, "connections opened at a time during the ramp")->check(CLI::Range(1u, 100'000u));
  app.add_flag("!--no-ramp-echo", cfg.ramp_echo, "do not prove each new connection with one echo during the ramp");
  app.add_option("--connect-timeout", cfg.connect_timeout, "seconds allowed for one connect");
  app.add_option("--timeout", cfg.timeout, "seconds allowed beyond --duration (or for all --messages)");
  apps::add_log_level_option(app);
  CLI11_PARSE(app, argc, argv);

  apps::raise_fd_limit();
  std::signal(SIGPIPE, SIG_IGN);

  auto server = SocketAddress::parse(cfg.host + ":" + std::to_string(cfg.port));
  if (!server) {
    std::fprintf(stderr, "coring-load: bad address %s\n", cfg.host.c_str());
    return 2;
  }
  std::vector<SocketAddress> sources;
  for (const auto& a : split(cfg.sources, ',')) {
    auto sa = SocketAddress::parse(a + ":0");
    if (!sa || sa->family() != server->family()) {
      std::fprintf(stderr, "coring-load: bad source address %s\n", a.c_str());
      return 2;
    }
    sources.push_back(*sa);
  }

  Shared sh;
  sh.cfg = &cfg;
  sh.pattern.resize(std::size_t{cfg.size} + kWindow);
  uint64_t seed = 0x636f72696e67ull;  // fixed: runs are reproducible
  for (auto& b : sh.pattern) b = static_cast<std::byte>(splitmix64(seed));

  RuntimeOptions opts;
  opts.shards = 1;  // one loop drives every connection (pinned with taskset by the bench scripts)
  opts.backend = *parse_backend(cfg.backend);
  opts.drain_timeout = std::chrono::milliseconds(1000);
  Runtime rt(opts);
  std::fprintf(stderr, "coring-load: backend %.*s, %u connections to %s, %u-byte messages\n",
               int(rt.backend_name().size()), rt.backend_name().data(), cfg.connections,
               server->to_string().c_str(), cfg.size);
  const Report rep = rt.block_on(run(sh, *server, sources));

  const LatencyHistogram& h = sh.hist;
  const double rate = rep.seconds > 0 ? double(sh.messages) / rep.seconds : 0.0;
  std::printf(
      "{\"mode\":\"%s\",\"backend\":\"%.*s\",\"connections\":%u,\"connections_requested\":%u,\"size\":%u,"
      "\"duration\":%.3f,\"messages\":%llu,\"ramp_messages\":%llu,\"bytes\":%llu,\"errors\":%llu,"
      "\"connect_errors\":%llu,\"verify_failures\":%llu,\"msgs_per_sec\":%.1f,"
      "\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f}}\n",
      cfg.hold_idle ? "hold-idle" : "echo", int(rt.backend_name().size()), rt.backend_name().data(), rep.established,
      cfg.connections, cfg.size, rep.seconds, (unsigned long long)sh.messages, (unsigned long long)sh.ramp_messages,
      (unsigned long long)sh.bytes, (unsigned long long)sh.errors, (unsigned long long)sh.connect_errors,
      (unsigned long long)sh.verify_failures, rate, us(h.percentile(0.50)), us(h.percentile(0.90)),
      us(h.percentile(0.99)), us(h.percentile(0.999)), us(h.max()), h.mean() / 1000.0);
  std::fflush(stdout);
  const bool failed = sh.errors || sh.connect_errors || sh.verify_failures || rep.established < cfg.connections;
  return failed ? 1 : 0;
}
