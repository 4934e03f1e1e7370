// coring-echo: a TCP echo server on every shard (io_uring or epoll backend), or thread-per-connection.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "coring/coring.hpp"
#include "common/app_setup.hpp"
#include "common/inherited_listeners.hpp"
#include "common/listen_everywhere.hpp"
#include "holder.hpp"
#include "common/upgrade.hpp"
#include "threaded_echo.hpp"

using namespace coring;

namespace {

Task<> echo(Stream s) {
  for (;;) {
    auto chunk = co_await s.recv();           // bytes lent from the shard's buffer pool
    if (!chunk || chunk->empty()) co_return;  // error, or the peer closed
    if (!co_await s.send_all(*chunk)) co_return;
  }  // the chunk goes back to the pool here
}

Task<> serve(Listener l) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;  // the listener closed: the server is stopping
    spawn(echo(std::move(*s)));
  }
}

/// Binds `addr` on the calling shard (SO_REUSEPORT: one listener per shard,
/// the kernel spreads connections), or adopts its share of the inherited
/// sockets, serves them, and returns the address.
Result<SocketAddress> listen_here(const SocketAddress& addr, const apps::ListenSetup& setup, apps::ListenerTable& table) {
  auto serve_one = [&table](Listener l) {
    const int fd = l.native_handle();
    spawn(table.track(fd, serve(std::move(l))));
  };
  if (!setup.inherited.empty()) return apps::adopt_share("coring-echo", setup, serve_one);
  auto l = Listener::bind(addr, ListenOptions{.reuse_port = true});
  if (!l) return l.error();
  SocketAddress bound = l->local_address();
  serve_one(std::move(*l));
  return bound;
}

void print_stats(const std::vector<RuntimeStats>& shards) {
  for (const RuntimeStats& s : shards)
    std::fprintf(stderr,
                 "coring-echo: shard %u: %lu connections accepted, %lu loop turns, %lu submit syscalls, "
                 "%lu operations, %lu completions, %lu buffer-exhaustion events, %lu receives paused at a share\n",
                 s.shard, s.connections_accepted, s.loop_turns, s.submit_syscalls, s.ops_submitted, s.completions,
                 s.buffer_exhausted, s.recv_paused);
}

Task<int> run(Runtime& rt, std::string text, const apps::ListenSetup& setup, apps::ListenerTable& table,
               std::string hold_addr, long hold_ms) {
  auto addr = SocketAddress::parse(text);
  if (!addr) {
    std::fprintf(stderr, "coring-echo: bad address %s\n", text.c_str());
    co_return 1;
  }
  auto start = [&](const SocketAddress& a) { return listen_here(a, setup, table); };
  auto bound = co_await apps::listen_on_every_shard("coring-echo", *addr, start);
  if (!bound) co_return 1;
  if (!hold_addr.empty()) {  // on shard 0 only: beside its echo connections
    auto h = SocketAddress::parse(hold_addr);
    if (!h || !apps::start_holder(*h, std::chrono::milliseconds(hold_ms))) {
      std::fprintf(stderr, "coring-echo: cannot hold on %s\n", hold_addr.c_str());
      co_return 1;
    }
  }
  if (!setup.upgrade_socket.empty()) {
    if (auto u = apps::serve_upgrades("coring-echo", setup.upgrade_socket, table); !u) {
      std::fprintf(stderr, "coring-echo: cannot serve upgrades on %s: %s\n", setup.upgrade_socket.c_str(),
                   u.error().message().c_str());
      co_return 1;
    }
  }
  std::fprintf(stderr, "coring-echo: listening on %s with %u shard%s\n", bound->to_string().c_str(), rt.shards(),
               rt.shards() == 1 ? "" : "s");
  auto sig = co_await wait_for_signal(SIGINT, SIGTERM, SIGUSR1);
  while (sig && *sig == SIGUSR1) {  // SIGUSR1: print the statistics and go on
    print_stats(co_await all_shard_stats());
    sig = co_await wait_for_signal(SIGINT, SIGTERM, SIGUSR1);
  }
  std::fprintf(stderr, "coring-echo: %s: stopping (drain up to %ld ms; a second signal exits at once)\n",
               sig ? strsignal(*sig) : "signal wait failed", static_cast<long>(rt.options().drain_timeout.count()));
  unblock_signals(SIGINT, SIGTERM);  // a second one now ends the process
  co_await rt.shutdown(rt.options().drain_timeout);
  print_stats(co_await all_shard_stats());
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coring-echo: TCP echo server"};
  app.set_version_flag("--version", std::string("coring-echo ") + std::string(coring::version()));
  std::string host = "0.0.0.0";
  uint16_t port = 7000;
  std::string backend = "uring";
  RuntimeOptions opts;
  long drain_ms = 1000;
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port,-p", port, "TCP port");
  app.add_option("--backend", backend, "uring | epoll | threads")->check(CLI::IsMember({"uring", "epoll", "threads", "auto"}));
  app.add_option("--shards", opts.shards, "event-loop threads, each pinned to a CPU (0: one per CPU)")->capture_default_str();
  app.add_option("--drain-timeout", drain_ms, "ms that connections get to finish after SIGINT/SIGTERM")->capture_default_str();
  app.add_option("--buffers", opts.buffer_count, "receive buffers in each shard's pool (power of two)");
  app.add_option("--buffer-size", opts.buffer_size, "bytes per receive buffer");
  long min_wait_us = 0;
  app.add_option("--min-wait-us", min_wait_us,
                 "after a busy loop turn, wait up to this long for more completions before waking (0: off; io_uring only)")
      ->capture_default_str();
  uint16_t hold_port = 0;
  long hold_ms = 100;
  app.add_option("--hold-port", hold_port,
                 "also listen here (shard 0): connections keep every buffer until paused at their share, "
                 "hold them --hold-ms, then release them (bench/starvation.sh)");
  app.add_option("--hold-ms", hold_ms, "how long a --hold-port connection keeps its buffers")->capture_default_str();
  apps::ListenSetup setup;
  apps::add_listen_options(app, setup);
  apps::add_log_level_option(app);
  CLI11_PARSE(app, argc, argv);

  apps::raise_fd_limit();
  block_signals(SIGINT, SIGTERM, SIGUSR1);  // before any thread starts: they inherit the mask
  std::signal(SIGPIPE, SIG_IGN);
  const std::string addr = host + ":" + std::to_string(port);
  if (backend == "threads") return apps::run_threaded_echo(addr);
  if (!apps::gather_inherited("coring-echo", setup)) return 1;  // before threads: it reads the environment

  opts.backend = *parse_backend(backend);
  opts.drain_timeout = std::chrono::milliseconds(drain_ms);
  opts.min_wait = std::chrono::microseconds(std::max(0L, min_wait_us));
  Runtime rt(opts);
  const std::string hold = hold_port ? host + ":" + std::to_string(hold_port) : std::string();
  apps::ListenerTable table(rt.shards());
  return rt.block_on(run(rt, addr, setup, table, hold, hold_ms));
}
