// docs/http.md's first example: an HTTP/1.1 server on every shard with coroutine and plain handlers (the doc quotes it whole).
#include <coring/coring.hpp>
#include <coring/http/http.hpp>

#include <string>

using namespace coring;

// Runs on every shard: its own listener on the shared port, its own server.
Task<> serve() {
  http::Router router;
  router.get("/", [](http::Request&) -> Task<http::Response> {
    co_return http::Response::text("Hello, World!");
  });
  router.post("/echo", [](http::Request& req) -> Task<http::Response> {
    co_return http::Response::text(std::string(req.body));  // the whole body, chunked already decoded
  });
  router.get("/hello/*", [](http::Request& req) {             // a trailing * matches a prefix
    return http::Response::text("hello " + std::string(req.path.substr(7)));  // a plain handler: no frame
  });

  auto l = Listener::bind("0.0.0.0:8080", {.reuse_port = true});
  if (!l) co_return;
  http::Server server(router, http::ServerOptions{});  // one per shard, each with its own listener
  co_await server.serve(std::move(*l));                // until the graceful stop closes the listener
}

int main() {
  Runtime rt;                           // one shard per CPU
  return rt.run_on_every_shard(serve);  // until SIGINT or SIGTERM, then a graceful stop
}
