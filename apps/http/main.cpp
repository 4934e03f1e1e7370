// coring-http: the HTTP/1.1 demo server (plaintext, JSON, static files, metrics) on every shard, io_uring or epoll.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "common/app_setup.hpp"
#include "common/inherited_listeners.hpp"
#include "common/listen_everywhere.hpp"
#include "common/upgrade.hpp"
#include "coring/coring.hpp"
#include "coring/http/http.hpp"
#include "health.hpp"
#include "routes.hpp"

using namespace coring;

namespace {

struct Config {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;
  std::string root;
  std::chrono::milliseconds drain_grace{0};
  http::ServerOptions server;
  apps::ListenSetup listen;  // inherited sockets and hot upgrade
};

/// One server per shard; each slot is written once, by its own shard, at start-up.
using ShardServers = std::vector<std::optional<http::Server>>;

/// Starts the calling shard's server: its own copy of the routes on its own SO_REUSEPORT
/// listener on `addr`, or on its share of the inherited sockets. Returns the address it listens on.
Result<SocketAddress> start_shard(const Config& cfg, const SocketAddress& addr, const http::Router& routes,
                                  ShardServers& servers, apps::ShardMetrics& metrics, apps::ListenerTable& table) {
  auto& server = servers[this_shard()].emplace(routes, cfg.server);
  metrics.attach(this_shard(), &server.stats());
  auto serve = [&](Listener l) {
    const int fd = l.native_handle();
    spawn(table.track(fd, server.serve(std::move(l))));
  };
  if (!cfg.listen.inherited.empty()) return apps::adopt_share("coring-http", cfg.listen, serve);
  auto l = Listener::bind(addr, ListenOptions{.reuse_port = true});
  if (!l) return l.error();
  const SocketAddress bound = l->local_address();
  serve(std::move(*l));
  return bound;
}

/// The drain period after the first SIGINT/SIGTERM, before the graceful stop: /healthz answers
/// 503 and every response closes its connection, while the listeners stay open and everything
/// is still served, so a load balancer's health check takes this server out of its pool first.
Task<> drain_for(const Config& cfg, ShardServers& servers, apps::Health& health) {
  health.start_draining();
  auto drain = [&servers](unsigned shard) {
    if (servers[shard]) servers[shard]->begin_drain();
    return 0;
  };
  co_await on_all_shards(drain);
  if (cfg.drain_grace.count() <= 0) co_return;
  std::fprintf(stderr, "coring-http: draining: /healthz answers 503 for %ld ms, then the listeners close\n",
               static_cast<long>(cfg.drain_grace.count()));
  co_await sleep_for(cfg.drain_grace);
}

Task<int> run(Runtime& rt, const Config& cfg, const http::Router& routes, ShardServers& servers,
              apps::ShardMetrics& metrics, apps::ListenerTable& table, apps::Health& health) {
  auto addr = SocketAddress::parse(cfg.host + ":" + std::to_string(cfg.port));
  if (!addr) {
    std::fprintf(stderr, "coring-http: bad address %s:%u\n", cfg.host.c_str(), cfg.port);
    co_return 1;
  }
  auto start = [&](const SocketAddress& a) { return start_shard(cfg, a, routes, servers, metrics, table); };
  auto bound = co_await apps::listen_on_every_shard("coring-http", *addr, start);
  if (!bound) co_return 1;
  if (!cfg.listen.upgrade_socket.empty()) {
    if (auto u = apps::serve_upgrades("coring-http", cfg.listen.upgrade_socket, table); !u) {
      std::fprintf(stderr, "coring-http: cannot serve upgrades on %s: %s\n", cfg.listen.upgrade_socket.c_str(),
                   u.error().message().c_str());
      co_return 1;
    }
  }
  std::fprintf(stderr, "coring-http: listening on %s\n", bound->to_string().c_str());
  std::fprintf(stderr, "coring-http: %u shard%s, %s backend\n", rt.shards(), rt.shards() == 1 ? "" : "s",
               std::string(rt.backend_name()).c_str());
  auto sig = co_await wait_for_signal(SIGINT, SIGTERM);
  std::fprintf(stderr, "coring-http: %s: stopping (drain up to %ld ms; a second signal exits at once)\n",
               sig ? strsignal(*sig) : "signal wait failed", static_cast<long>(rt.options().drain_timeout.count()));
  unblock_signals(SIGINT, SIGTERM);  // a second one now ends the process
  co_await drain_for(cfg, servers, health);
  co_await rt.shutdown(rt.options().drain_timeout);
  const RuntimeStats sum = total(co_await all_shard_stats());
  std::fprintf(stderr, "coring-http: stopped; %lu connections accepted, %lu still open\n", sum.connections_accepted,
               sum.connections_open);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coring-http: HTTP/1.1 demo server"};
  app.set_version_flag("--version", std::string("coring-http ") + std::string(coring::version()));
  Config cfg;
  std::string backend = "uring";
  RuntimeOptions opts;
  long header_ms = cfg.server.header_timeout.count(), idle_ms = cfg.server.idle_timeout.count();
  long body_ms = cfg.server.body_timeout.count(), send_ms = cfg.server.send_timeout.count();
  long drain_ms = 1000, drain_grace_ms = 0;
  app.add_option("--host", cfg.host, "address to listen on");
  app.add_option("--port,-p", cfg.port, "TCP port (0: any free one, the same on every shard)");
  app.add_option("--backend", backend, "uring | epoll | auto")->check(CLI::IsMember({"uring", "epoll", "auto"}));
  app.add_option("--shards", opts.shards, "event-loop threads, each pinned to a CPU (0: one per CPU)")->capture_default_str();
  app.add_option("--drain-timeout", drain_ms, "ms that requests in flight get to finish after SIGINT/SIGTERM")
      ->capture_default_str();
  app.add_option("--drain-grace", drain_grace_ms,
                 "ms after SIGINT/SIGTERM with /healthz at 503 and Connection: close, listeners open, before the stop")
      ->capture_default_str();
  app.add_option("--root", cfg.root, "directory served under /static/ (none: /static/ answers 404)");
  app.add_option("--max-connections", cfg.server.max_connections, "open connections per shard before new ones get 503")
      ->capture_default_str();
  app.add_option("--max-requests-per-connection", cfg.server.max_requests_per_connection,
                 "requests on one connection before it is closed (0: no limit)")->capture_default_str();
  app.add_option("--max-body", cfg.server.limits.max_body, "largest request body in bytes (then 413)")->capture_default_str();
  app.add_option("--header-timeout-ms", header_ms, "time allowed for a request head (then 408)")->capture_default_str();
  app.add_option("--body-timeout-ms", body_ms, "time allowed for a request body (then 408)")->capture_default_str();
  app.add_option("--idle-timeout-ms", idle_ms, "keep-alive idle time before a connection is closed")->capture_default_str();
  app.add_option("--send-timeout-ms", send_ms, "time allowed to send one batch of responses")->capture_default_str();
  apps::add_listen_options(app, cfg.listen);
  apps::add_log_level_option(app);
  CLI11_PARSE(app, argc, argv);
  cfg.server.header_timeout = std::chrono::milliseconds(header_ms);
  cfg.server.body_timeout = std::chrono::milliseconds(body_ms);
  cfg.server.idle_timeout = std::chrono::milliseconds(idle_ms);
  cfg.server.send_timeout = std::chrono::milliseconds(send_ms);
  cfg.drain_grace = std::chrono::milliseconds(drain_grace_ms);

  std::shared_ptr<apps::StaticFiles> files;
  if (!cfg.root.empty()) {
    files = apps::StaticFiles::open(apps::StaticOptions{.root = cfg.root});
    if (!files) return 1;
  }
  apps::raise_fd_limit();
  block_signals(SIGINT, SIGTERM);  // before any thread starts: they inherit the mask
  std::signal(SIGPIPE, SIG_IGN);
  if (!apps::gather_inherited("coring-http", cfg.listen)) return 1;  // before threads: it reads the environment
  opts.backend = *parse_backend(backend);
  opts.drain_timeout = std::chrono::milliseconds(drain_ms);
  Runtime rt(opts);
  auto metrics = std::make_shared<apps::ShardMetrics>(rt.shards());
  auto health = std::make_shared<apps::Health>();
  const http::Router routes = apps::make_routes(files, metrics, health);
  ShardServers servers(rt.shards());
  apps::ListenerTable table(rt.shards());
  return rt.block_on(run(rt, cfg, routes, servers, *metrics, table, *health));
}
