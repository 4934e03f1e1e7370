// coring-http: the HTTP/1.1 demo server (plaintext, JSON, static files, metrics) on io_uring or epoll.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "common/app_setup.hpp"
#include "coring/coring.hpp"
#include "coring/http/http.hpp"
#include "routes.hpp"

using namespace coring;

namespace {

struct Config {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;
  std::string root;
  http::ServerOptions server;
};

/// Starts one shard's server: its own SO_REUSEPORT listener and its own copy of the routes.
/// With several shards, each shard's loop calls this once.
Result<http::Server> start_shard(const Config& cfg, const http::Router& routes) {
  ListenOptions lo;
  lo.reuse_port = true;
  auto l = Listener::bind(cfg.host + ":" + std::to_string(cfg.port), lo);
  if (!l) return l.error();
  std::fprintf(stderr, "coring-http: listening on %s\n", l->local_address().to_string().c_str());
  http::Server server(routes, cfg.server);
  spawn(server.serve(std::move(*l)));
  return server;
}

Task<int> run(const Config& cfg, const http::Router& routes) {
  auto server = start_shard(cfg, routes);
  if (!server) {
    std::fprintf(stderr, "coring-http: cannot listen on %s:%u: %s\n", cfg.host.c_str(), cfg.port,
                 server.error().message().c_str());
    co_return 1;
  }
  auto sig = co_await wait_for_signal(SIGINT, SIGTERM);
  std::fprintf(stderr, "coring-http: %s, stopping\n", sig ? strsignal(*sig) : "signal wait failed");
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
  app.add_option("--host", cfg.host, "address to listen on");
  app.add_option("--port,-p", cfg.port, "TCP port");
  app.add_option("--backend", backend, "uring | epoll | auto")->check(CLI::IsMember({"uring", "epoll", "auto"}));
  app.add_option("--root", cfg.root, "directory served under /static/ (none: /static/ answers 404)");
  app.add_option("--max-connections", cfg.server.max_connections, "open connections before new ones get 503");
  app.add_option("--header-timeout-ms", header_ms, "time allowed for a request head (then 408)");
  app.add_option("--idle-timeout-ms", idle_ms, "keep-alive idle time before a connection is closed");
  apps::add_log_level_option(app);
  CLI11_PARSE(app, argc, argv);
  cfg.server.header_timeout = std::chrono::milliseconds(header_ms);
  cfg.server.idle_timeout = std::chrono::milliseconds(idle_ms);

  std::shared_ptr<apps::StaticFiles> files;
  if (!cfg.root.empty()) {
    files = apps::StaticFiles::open(apps::StaticOptions{.root = cfg.root});
    if (!files) return 1;
  }
  const http::Router routes = apps::make_routes(files);

  apps::raise_fd_limit();
  block_signals(SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);
  opts.backend = *parse_backend(backend);
  opts.drain_timeout = std::chrono::milliseconds(1000);
  Runtime rt(opts);
  return rt.block_on(run(cfg, routes));
}
