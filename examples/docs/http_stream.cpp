// docs/http.md and docs/api.md: a handler that streams its body (chunked), quoted there and compiled here.
#include <coring/coring.hpp>
#include <coring/http/http.hpp>

#include <chrono>
#include <string>

using namespace coring;
using namespace std::chrono_literals;

http::Router routes() {
  http::Router router;
  // Ten lines, one every 100 ms: the length is not known up front, so the body goes chunked.
  router.get("/ticks", [](http::Request&) {
    return http::Response::stream([](http::BodyWriter& out) -> Task<Result<void>> {
      for (int i = 0; i < 10; ++i) {
        std::string line = "tick " + std::to_string(i) + "\n";
        auto sent = co_await out.write(line);    // waits while the client's socket is full
        if (!sent) co_return sent;               // the client went away (or a timeout)
        auto slept = co_await sleep_for(100ms);  // a client that disconnects cancels this
        if (!slept) co_return slept;
      }
      co_return Result<void>{};                  // then the terminating chunk goes out
    });
  });
  return router;
}

Task<> serve() {
  auto l = Listener::bind("0.0.0.0:8080", {.reuse_port = true});
  if (!l) co_return;
  http::Server server(routes());
  co_await server.serve(std::move(*l));
}

int main() {
  Runtime rt;
  return rt.run_on_every_shard(serve);
}
