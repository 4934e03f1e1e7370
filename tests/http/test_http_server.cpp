// http::Server over raw sockets on both backends: one case per protocol rule and per bad-input rule,
// each asserting the exact status and whether the connection stays open.
#include <sys/socket.h>

#include "corpus.hpp"
#include "parse_util.hpp"
#include "http_client.hpp"

using namespace coring;
using namespace coring::http;
using namespace coring::http::test;
using namespace std::chrono_literals;

namespace {

Router test_router() {
  Router r;
  r.get("/", [](Request&) -> Task<Response> { co_return Response::text("Hello, World!"); });
  r.post("/echo", [](Request& q) -> Task<Response> { co_return Response::text(std::string(q.body)); });
  r.put("/echo", [](Request& q) -> Task<Response> { co_return Response::text(std::string(q.body)); });
  r.get("/close", [](Request&) -> Task<Response> {
    Response resp = Response::text("bye");
    resp.close = true;
    co_return resp;
  });
  r.get("/throw", [](Request&) -> Task<Response> {
    throw std::runtime_error("handler failed");
    co_return Response::text("never");
  });
  r.get("/slow", [](Request&) -> Task<Response> {
    co_await sleep_for(5ms);
    co_return Response::text("slow");
  });
  r.get("/big", [](Request&) -> Task<Response> { co_return Response::text(std::string(4 << 20, 'x')); });
  r.get("/plain", [](Request& q) { return Response::text("plain " + std::string(q.query)); });  // a SyncHandler
  r.get("/plain-throw", [](Request&) -> Response { throw std::runtime_error("plain handler failed"); });
  // Everything else (the corpus uses these methods): "METHOD path body-size".
  for (const char* m : {"GET", "POST", "PUT", "DELETE", "OPTIONS", "PURGEX"}) {
    r.route(m, "*", [](Request& q) -> Task<Response> {
      co_return Response::text(std::string(q.method()) + " " + std::string(q.path) + " " + std::to_string(q.body.size()));
    });
  }
  r.post("/only-post", [](Request&) -> Task<Response> { co_return Response::text("posted"); });
  return r;
}

ServerOptions test_options() {
  ServerOptions o;
  o.limits = corpus_limits();
  o.linger_timeout = 2s;
  return o;
}

/// Runs `body(addr, server)` against a fresh server on backend B.
template <class B, class F>
void with_server(F body, ServerOptions opts = test_options(), Router router = test_router()) {
  coring::test::run_on<B>([&]() -> Task<> {
    Server server(std::move(router), opts);
    SocketAddress addr = start(server);
    co_await body(addr, server);
  });
}

/// The connection is still usable: another request on it gets 200.
Task<bool> still_open(Client& c) {
  auto r = co_await c.roundtrip(get("/"));
  co_return r && r->status == 200 && r->body == "Hello, World!";
}

}  // namespace

// ---- protocol rules --------------------------------------------------------------------------

TEST_CASE_TEMPLATE("http: GET keeps an HTTP/1.1 connection open, with Date, Server and Content-Length", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server& server) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip(get("/"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "Hello, World!");
    CHECK(r->header("content-length") == "13");
    CHECK(r->header("server") == "coring");
    CHECK(r->header("date").size() == 29);
    CHECK(r->header("connection").empty());
    CHECK(co_await still_open(c));
    CHECK(server.stats().requests_by_status[200] == 2);
  });
}

TEST_CASE_TEMPLATE("http: pipelined requests are answered in order, in one batch", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server& server) -> Task<> {
    Client c = co_await Client::connect(addr);
    std::string batch;
    for (int i = 0; i < 20; ++i) batch += get(i % 5 == 0 ? "/slow" : "/p" + std::to_string(i));
    batch += "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nlast";
    const auto batches_before = server.stats().response_batches;
    REQUIRE(co_await c.send(batch));
    for (int i = 0; i < 20; ++i) {
      auto r = co_await c.read();
      REQUIRE(r);
      CHECK(r->body == (i % 5 == 0 ? std::string("slow") : "GET /p" + std::to_string(i) + " 0"));
    }
    auto r = co_await c.read();
    REQUIRE(r);
    CHECK(r->body == "last");
    // One client send of < 1 KiB arrives on loopback as one receive buffer, so the 21 responses
    // leave in one send_all (2 would still mean batching; 21 would mean none).
    CHECK(server.stats().response_batches - batches_before <= 2);
    CHECK(co_await still_open(c));
  });
}

TEST_CASE_TEMPLATE("http: a pipelined batch past max_batch_bytes is sent in pieces, in order", B, CORING_BACKENDS) {
  ServerOptions opts = test_options();
  opts.max_batch_bytes = 300;  // about two responses
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        std::string batch;
        for (int i = 0; i < 12; ++i) batch += get("/p" + std::to_string(i));
        const auto batches_before = server.stats().response_batches;
        REQUIRE(co_await c.send(batch));
        for (int i = 0; i < 12; ++i) {
          auto r = co_await c.read();
          REQUIRE(r);
          CHECK(r->body == "GET /p" + std::to_string(i) + " 0");
        }
        // Sent whenever 300 bytes are queued, then parsing goes on in the same buffer.
        CHECK(server.stats().response_batches - batches_before >= 4);
        CHECK(co_await still_open(c));
      },
      opts);
}

TEST_CASE_TEMPLATE("http: Connection: close answers then closes", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip(get("/", "Connection: close\r\n"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("connection") == "close");
    CHECK(co_await c.closed());
  });
}

TEST_CASE_TEMPLATE("http: after begin_drain every response closes its connection, and new ones are still served", B,
                   CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server& server) -> Task<> {
    Client kept = co_await Client::connect(addr);
    auto before = co_await kept.roundtrip(get("/"));
    REQUIRE(before);
    CHECK(before->header("connection").empty());
    CHECK_FALSE(server.draining());
    server.begin_drain();
    CHECK(server.draining());
    auto on_kept = co_await kept.roundtrip(get("/"));  // a kept-alive connection: answered, then closed
    REQUIRE(on_kept);
    CHECK(on_kept->status == 200);
    CHECK(on_kept->header("connection") == "close");
    CHECK(co_await kept.closed());
    Client fresh = co_await Client::connect(addr);  // the listener still accepts
    auto on_fresh = co_await fresh.roundtrip(get("/"));
    REQUIRE(on_fresh);
    CHECK(on_fresh->body == "Hello, World!");
    CHECK(on_fresh->header("connection") == "close");
    CHECK(co_await fresh.closed());
  });
}

TEST_CASE_TEMPLATE("http: a handler asking to close closes after its response", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip(get("/close"));
    REQUIRE(r);
    CHECK(r->body == "bye");
    CHECK(r->header("connection") == "close");
    CHECK(co_await c.closed());
  });
}

TEST_CASE_TEMPLATE("http: HTTP/1.0 closes by default", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip("GET / HTTP/1.0\r\n\r\n");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("connection") == "close");
    CHECK(co_await c.closed());
  });
}

TEST_CASE_TEMPLATE("http: HTTP/1.0 with keep-alive stays open", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("connection") == "keep-alive");
    CHECK(co_await still_open(c));
  });
}

TEST_CASE_TEMPLATE("http: HEAD sends the GET headers without the body", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n", true);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("content-length") == "13");
    CHECK(r->body.empty());
    CHECK(co_await still_open(c));  // no stray body bytes in front of the next response
  });
}

TEST_CASE_TEMPLATE("http: Expect 100-continue gets 100 before the body is sent", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    REQUIRE(co_await c.send("PUT /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n"));
    auto interim = co_await c.read();
    REQUIRE(interim);
    CHECK(interim->status == 100);
    REQUIRE(co_await c.send("payload"));
    auto r = co_await c.read();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "payload");
    CHECK(co_await still_open(c));
  });
}

TEST_CASE_TEMPLATE("http: Content-Length and chunked bodies reach the handler whole, even sent byte by byte", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
    REQUIRE(r);
    CHECK(r->body == "hello world");
    const std::string chunked =
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n3\r\nefg\r\n0\r\nT: 1\r\n\r\n";
    for (char ch : chunked) {
      REQUIRE(co_await c.send(std::string(1, ch)));
      co_await sleep_for(0ms);
    }
    r = co_await c.read();
    REQUIRE(r);
    CHECK(r->body == "abcdefg");
    CHECK(co_await still_open(c));
  });
}

TEST_CASE_TEMPLATE("http: an absolute-form target is routed by its path, \"/\" when it has none", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip("GET http://other.example/p1?q HTTP/1.1\r\nHost: t\r\n\r\n");
    REQUIRE(r);
    CHECK(r->body == "GET /p1 0");
    r = co_await c.roundtrip("GET http://other.example?x=/y HTTP/1.1\r\nHost: t\r\n\r\n");
    REQUIRE(r);
    CHECK(r->body == "Hello, World!");  // the path is "/", not the "/y" inside the query
    r = co_await c.roundtrip("GET HTTPS://other.example:8443 HTTP/1.1\r\nHost: t\r\n\r\n");
    REQUIRE(r);
    CHECK(r->body == "Hello, World!");
    CHECK(co_await still_open(c));
  });
}

TEST_CASE_TEMPLATE("http: unknown path is 404 and the connection stays open", B, CORING_BACKENDS) {
  Router r;
  r.get("/", [](Request&) -> Task<Response> { co_return Response::text("Hello, World!"); });
  r.post("/only-post", [](Request&) -> Task<Response> { co_return Response::text("posted"); });
  with_server<B>(
      [](SocketAddress addr, Server&) -> Task<> {
        Client c = co_await Client::connect(addr);
        auto resp = co_await c.roundtrip(get("/nope"));
        REQUIRE(resp);
        CHECK(resp->status == 404);
        CHECK(co_await still_open(c));
        resp = co_await c.roundtrip(get("/only-post"));
        REQUIRE(resp);
        CHECK(resp->status == 405);
        CHECK(resp->header("allow") == "POST");
        CHECK(co_await still_open(c));
      },
      test_options(), std::move(r));
}

TEST_CASE_TEMPLATE("http: a throwing handler gives 500 and the connection stays open", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    auto r = co_await c.roundtrip(get("/throw"));
    REQUIRE(r);
    CHECK(r->status == 500);
    CHECK(co_await still_open(c));
  });
}

TEST_CASE_TEMPLATE("http: a plain handler answers in place, pipelined too, and one that throws gives 500", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    Client c = co_await Client::connect(addr);
    REQUIRE(co_await c.send(get("/plain?a") + get("/slow") + get("/plain?b") + get("/plain-throw") + get("/plain?c")));
    for (const char* want : {"plain a", "slow", "plain b", "", "plain c"}) {
      auto r = co_await c.read();
      REQUIRE(r);
      if (*want) {
        CHECK(r->status == 200);
        CHECK(r->body == want);
      } else {
        CHECK(r->status == 500);
      }
    }
    auto h = co_await c.roundtrip("HEAD /plain?d HTTP/1.1\r\nHost: t\r\n\r\n", /*head=*/true);
    REQUIRE(h);
    CHECK(h->status == 200);
    CHECK(h->header("content-length") == "7");
    CHECK(co_await still_open(c));
  });
}

TEST_CASE_TEMPLATE("http: every valid corpus request gets 200 and keeps the connection as its keep-alive rule says", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server&) -> Task<> {
    for (const Case& k : corpus()) {
      if (k.status != 0) continue;
      const std::string name = k.name;
      CAPTURE(name);
      Parsed expect = parse_whole(k.raw, corpus_limits());
      Client c = co_await Client::connect(addr);
      REQUIRE(co_await c.send(k.raw));
      for (const Msg& m : expect.msgs) {
        auto r = co_await c.read(m.method == "HEAD");
        REQUIRE(r);
        CHECK(r->status == 200);
      }
      if (expect.msgs.back().keep_alive) {
        CHECK(co_await still_open(c));
      } else {
        CHECK(co_await c.closed());
      }
    }
  });
}

// ---- bad input: one case per corpus rule, exact status, connection closed ----------------------

TEST_CASE_TEMPLATE("http: every invalid corpus request gets its exact status and the connection closes", B, CORING_BACKENDS) {
  with_server<B>([](SocketAddress addr, Server& server) -> Task<> {
    std::uint64_t errors = 0;
    for (const Case& k : corpus()) {
      if (k.status == 0) continue;
      const std::string name = k.name;
      CAPTURE(name);
      Client c = co_await Client::connect(addr);
      auto r = co_await c.roundtrip(k.raw);
      REQUIRE(r);
      CHECK(r->status == k.status);
      CHECK(r->header("connection") == "close");
      CHECK(co_await c.closed());
      ++errors;
    }
    CHECK(server.stats().parse_errors == errors);
  });
}

// ---- limits and timeouts ---------------------------------------------------------------------

TEST_CASE_TEMPLATE("http: slowloris (a head that never completes) gets 408 and is closed", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.header_timeout = 100ms;
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        REQUIRE(co_await c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: "));
        for (int i = 0; i < 3; ++i) {  // trickling bytes does not extend the deadline
          co_await sleep_for(20ms);
          (void)co_await c.send("a");
        }
        auto r = co_await c.read();
        REQUIRE(r);
        CHECK(r->status == 408);
        CHECK(r->header("connection") == "close");
        CHECK(co_await c.closed());
        CHECK(server.stats().header_timeouts == 1);
      },
      o);
}

TEST_CASE_TEMPLATE("http: a body that stops arriving gets 408 and is closed", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.body_timeout = 100ms;
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        auto r = co_await c.roundtrip("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
        REQUIRE(r);
        CHECK(r->status == 408);
        CHECK(co_await c.closed());
        CHECK(server.stats().body_timeouts == 1);
      },
      o);
}

TEST_CASE_TEMPLATE("http: an idle keep-alive connection is closed without a response", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.idle_timeout = 50ms;
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        auto r = co_await c.roundtrip(get("/"));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(co_await c.closed());
        CHECK(server.stats().idle_timeouts == 1);
      },
      o);
}

TEST_CASE_TEMPLATE("http: a connection that sends nothing is closed after the header timeout", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.header_timeout = 50ms;
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        CHECK(co_await c.closed());
        CHECK(server.stats().header_timeouts == 1);
      },
      o);
}

TEST_CASE_TEMPLATE("http: past max_connections a connection gets 503 and is closed", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.max_connections = 1;
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client first = co_await Client::connect(addr);
        auto r = co_await first.roundtrip(get("/"));  // the first is surely accepted and counted
        REQUIRE(r);
        CHECK(r->status == 200);
        Client second = co_await Client::connect(addr);
        auto r2 = co_await second.read();
        REQUIRE(r2);
        CHECK(r2->status == 503);
        CHECK(co_await second.closed());
        CHECK(co_await still_open(first));
        CHECK(server.stats().connections_rejected == 1);
      },
      o);
}

TEST_CASE_TEMPLATE("http: max_requests_per_connection closes after the last allowed response", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.max_requests_per_connection = 2;
  with_server<B>(
      [](SocketAddress addr, Server&) -> Task<> {
        Client c = co_await Client::connect(addr);
        REQUIRE(co_await c.send(get("/") + get("/") + get("/")));
        auto a = co_await c.read();
        auto b = co_await c.read();
        REQUIRE(a);
        REQUIRE(b);
        CHECK(a->header("connection").empty());
        CHECK(b->header("connection") == "close");
        CHECK(co_await c.closed());
      },
      o);
}

TEST_CASE_TEMPLATE("http: a client that stops reading is dropped after the send timeout", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.send_timeout = 100ms;
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        coring::test::small_buffers(c.s);
        REQUIRE(co_await c.send(get("/big")));
        while (server.stats().send_timeouts == 0) co_await sleep_for(10ms);
        CHECK(server.stats().send_timeouts == 1);
        // What arrives is a prefix of the response, then the connection ends (FIN or reset).
        std::size_t got = 0;
        const bool eof = co_await coring::test::recv_to_eof(c.s, nullptr, &got);
        (void)eof;
        CHECK(got < (4u << 20));
      },
      o);
}

TEST_CASE_TEMPLATE("http: a burst of connections never overshoots max_connections", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.max_connections = 5;
  o.header_timeout = 1s;  // the admitted ones, silent, are closed after it
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        std::vector<Client> clients;
        for (int i = 0; i < 20; ++i) clients.push_back(co_await Client::connect(addr));
        auto first = [](Client& c) -> Task<int> {
          auto r = co_await c.read();
          co_return r ? r->status : 0;  // 0: closed without a response
        };
        std::vector<Task<int>> reads;
        for (Client& c : clients) reads.push_back(first(c));
        auto statuses = co_await when_all(std::move(reads));
        int rejected = 0, silent = 0;
        for (int s : statuses) {
          rejected += s == 503;
          silent += s == 0;
        }
        CHECK(rejected == 15);
        CHECK(silent == 5);
        CHECK(server.stats().connections_rejected == 15);
      },
      o);
}

TEST_CASE_TEMPLATE("http: with idle_frames 0 a connection parks between requests, and keep-alive goes on", B,
                   CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.idle_frames = 0;  // every waiting connection parks: no frame between requests
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        for (int i = 0; i < 20; ++i) {
          auto r = co_await c.roundtrip(get("/"));
          REQUIRE(r);
          CHECK(r->status == 200);
          co_await sleep_for(1ms);
          CHECK(server.stats().connections_parked == 1);
        }
        Client d = co_await Client::connect(addr);
        co_await sleep_for(1ms);
        CHECK(server.stats().connections_parked == 2);  // parked since accept: no request yet
        auto r = co_await d.roundtrip(get("/"));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(server.stats().requests == 21);
        CHECK(server.stats().connections_active == 2);
      },
      o);
}

TEST_CASE_TEMPLATE("http: a connection waiting in its frame parks after park_after, and answers afterwards", B,
                   CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.park_after = 10ms;
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        auto r = co_await c.roundtrip(get("/"));
        REQUIRE(r);
        CHECK(server.stats().connections_parked == 0);  // waits in its frame at first
        co_await sleep_for(60ms);
        CHECK(server.stats().connections_parked == 1);
        r = co_await c.roundtrip(get("/"));
        REQUIRE(r);
        CHECK(r->status == 200);
      },
      o);
}

TEST_CASE_TEMPLATE("http: a parked keep-alive connection is closed by the idle timeout", B, CORING_BACKENDS) {
  ServerOptions o = test_options();
  o.idle_frames = 0;
  o.idle_timeout = 50ms;
  with_server<B>(
      [](SocketAddress addr, Server& server) -> Task<> {
        Client c = co_await Client::connect(addr);
        auto r = co_await c.roundtrip(get("/"));
        REQUIRE(r);
        CHECK(co_await c.closed());
        CHECK(server.stats().idle_timeouts == 1);
        CHECK(server.stats().connections_parked == 0);
        CHECK(server.stats().connections_active == 0);
      },
      o);
}
