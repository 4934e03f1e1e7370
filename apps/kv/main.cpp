// coring-kv: a Redis-protocol (RESP2) key-value server whose keyspace is partitioned over the runtime's shards.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "common/app_setup.hpp"
#include "common/listen_everywhere.hpp"
#include "coring/coring.hpp"
#include "kv/expiry.hpp"
#include "kv/server.hpp"
#include "kv/session.hpp"

using namespace coring;

namespace {

kv::Server* server = nullptr;

Task<> serve(Listener l) {
  for (;;) {
    auto s = co_await l.accept();
    if (!s) co_return;  // the listener closed: the server is stopping
    s->set_option(SocketOption::no_delay, 1);
    spawn(kv::session(*server, std::move(*s)));
  }
}

/// On the calling shard: listens on `addr` (SO_REUSEPORT), starts the expiry loop, returns the bound address.
Result<SocketAddress> listen_here(const SocketAddress& addr) {
  auto l = Listener::bind(addr, ListenOptions{.reuse_port = true});
  if (!l) return l.error();
  SocketAddress bound = l->local_address();
  spawn(serve(std::move(*l)));
  spawn(kv::expiry_loop(*server->stores[this_shard()]));
  return bound;
}

Task<int> run(Runtime& rt, std::string text) {
  auto addr = SocketAddress::parse(text);
  if (!addr) {
    std::fprintf(stderr, "coring-kv: bad address %s\n", text.c_str());
    co_return 1;
  }
  auto bound = co_await apps::listen_on_every_shard("coring-kv", *addr, listen_here);
  if (!bound) co_return 1;
  server->port = bound->port();
  std::fprintf(stderr, "coring-kv: listening on %s with %u shard%s (%s)\n", bound->to_string().c_str(), rt.shards(),
               rt.shards() == 1 ? "" : "s", std::string(rt.backend_name()).c_str());
  auto sig = co_await wait_for_signal(SIGINT, SIGTERM);
  std::fprintf(stderr, "coring-kv: %s: stopping\n", sig ? strsignal(*sig) : "signal wait failed");
  unblock_signals(SIGINT, SIGTERM);  // a second one now ends the process
  co_await rt.shutdown(rt.options().drain_timeout);
  std::fprintf(stderr, "coring-kv: stopped\n");
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coring-kv: a Redis-protocol key-value server"};
  app.set_version_flag("--version", std::string("coring-kv ") + std::string(coring::version()));
  kv::Config cfg;
  app.add_option("--bind", cfg.bind, "address to listen on")->capture_default_str();
  app.add_option("--port,-p", cfg.port, "TCP port (0: any free port)")->capture_default_str();
  app.add_option("--shards", cfg.shards, "event-loop threads, each owning a part of the keyspace (0: one per CPU)")
      ->capture_default_str();
  app.add_option("--backend", cfg.backend, "uring | epoll | auto")->check(CLI::IsMember({"uring", "epoll", "auto"}))
      ->capture_default_str();
  app.add_option("--max-clients", cfg.max_clients, "connections served at once; more are refused")->capture_default_str();
  const auto size = CLI::AsSizeValue(false);  // 100mb, 64MiB, 1k (= 1024), or plain bytes
  app.add_option("--max-bulk", cfg.limits.max_bulk, "largest bulk string (value) in bytes")->transform(size)
      ->capture_default_str();
  app.add_option("--max-array", cfg.limits.max_array, "most elements in one request (*N)")->capture_default_str();
  app.add_option("--maxmemory", cfg.maxmemory, "writes fail with -OOM once the keyspace holds more (0: no limit)")
      ->transform(size)->capture_default_str();
  app.add_option("--client-output-limit", cfg.client_output_limit,
                 "close a client whose unsent replies pass this many bytes (0: no limit)")->transform(size)
      ->capture_default_str();
  app.add_option("--idle-timeout", cfg.idle_timeout_s, "seconds a client may stay idle (0: no limit)")->capture_default_str();
  // Fewer receive buffers than the runtime's 2048: the kernel fills them in turn, and 2048 4 KiB
  // buffers (8 MiB, every one starting in the same cache sets) cycle through the caches, so that
  // each small request lands in a cold line. With -P 1 the kernel's copy into them took 3.4% of
  // the CPU time with 2048, 1.3% with 128. A session gives its buffer back before it waits again,
  // so a turn needs about one per connection that received in it.
  uint32_t recv_buffers = 128;
  app.add_option("--recv-buffers", recv_buffers, "receive buffers (4 KiB) per shard, a power of two (0: the runtime's default)")
      ->capture_default_str();
  // Batched waits under load (io_uring, Linux 6.12; RuntimeOptions::min_wait): on by default.
  // With redis-benchmark -P 1 -c 50 a plain shard sleeps once per ~10 requests and each sleep
  // costs it and the client a wake-up; paced waits (at most an eighth of a connection's mean
  // time between receives, none under 10 us) gave 1.2-1.35x the requests/s from 20 to 200
  // clients (CPU per request 1.13x at 20, 0.87-0.97x at 50 and 200) and changed nothing with
  // 1 or 10 (bench/README.md). 0 turns them off.
  long min_wait_us = 100;
  app.add_option("--min-wait-us", min_wait_us,
                 "after a busy loop turn, sleep up to this long (paced: at most an eighth of a connection's time between receives, none under 10 us) so that completions arrive together (0: off; io_uring only)")
      ->capture_default_str();
  uint32_t min_wait_completions = 32;
  app.add_option("--min-wait-completions", min_wait_completions, "most completions a batched wait waits for")
      ->capture_default_str();
  apps::add_log_level_option(app);
  CLI11_PARSE(app, argc, argv);
  // A request may carry a few maximal values (SET key value, MSET...), but not without bound.
  cfg.limits.max_request = std::max<std::size_t>(cfg.limits.max_request, 4 * cfg.limits.max_bulk);
  if ((recv_buffers & (recv_buffers - 1)) != 0 || recv_buffers > 32768) {
    std::fprintf(stderr, "coring-kv: --recv-buffers must be a power of two, at most 32768\n");
    return 1;
  }

  apps::raise_fd_limit();
  block_signals(SIGINT, SIGTERM);  // before any thread starts: they inherit the mask
  std::signal(SIGPIPE, SIG_IGN);

  RuntimeOptions opts;
  opts.shards = cfg.shards;
  opts.backend = *parse_backend(cfg.backend);
  if (recv_buffers != 0) opts.buffer_count = recv_buffers;
  opts.min_wait = std::chrono::microseconds(std::max(0L, min_wait_us));
  opts.min_wait_completions = min_wait_completions;
  Runtime rt(opts);
  kv::Server srv;
  srv.cfg = cfg;
  srv.shards = rt.shards();
  for (unsigned i = 0; i < srv.shards; ++i) srv.stores.push_back(std::make_unique<kv::Store>());
  server = &srv;
  const std::string addr = cfg.bind + ":" + std::to_string(cfg.port);
  return rt.block_on(run(rt, addr));
}
