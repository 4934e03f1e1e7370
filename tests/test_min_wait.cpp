// Batched waits (RuntimeOptions::min_wait): everything still arrives under load, timers are not held back, a lone request after a burst is answered, a few clients in lock-step are not slowed to min_wait, features() says whether it is used.
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace coring::test;
using namespace std::chrono_literals;

namespace {

Task<> echo_back(Stream& s) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b || b->empty()) co_return;
    if (!co_await s.send_all(b->bytes())) co_return;
  }
}

/// `msgs` round trips of `size` pattern bytes on one connection; true if every byte came back.
Task<bool> round_trips(Stream& c, uint64_t seed, int msgs, std::size_t size) {
  for (int i = 0; i < msgs; ++i) {
    const std::string out = make_pattern(seed * 1000 + static_cast<uint64_t>(i), size);
    if (!co_await c.send_all(bytes_of(out))) co_return false;
    std::string in;
    while (in.size() < size) {
      auto b = co_await c.recv();
      if (!b || b->empty()) co_return false;
      in.append(b->view());
    }
    if (in != out) co_return false;
  }
  co_return true;
}

/// Whether min_wait is in use, as features() says (and, when not, why).
bool min_wait_on(const Runtime& rt, std::string& why) {
  for (const BackendFeature& f : rt.features())
    if (f.name == "min_wait") {
      why = f.why_off;
      return f.on;
    }
  why = "not listed";
  return false;
}

Task<> burst(std::vector<Pair>& pairs, int msgs, bool& all_ok) {
  std::vector<Task<bool>> clients;
  for (std::size_t i = 0; i < pairs.size(); ++i) clients.push_back(round_trips(pairs[i].client, i, msgs, 200));
  auto ok = co_await with_timeout(when_all(std::move(clients)), 30s);
  all_ok = ok && std::count(ok->begin(), ok->end(), true) == static_cast<long>(pairs.size());
}

/// A client thread on blocking sockets: `conns` connections; `rounds` times a
/// 64-byte message on each, each one's echo read back, then `pause`.
struct LockStepClient {
  bool ok = false;
  std::thread thread;

  void start(SocketAddress addr, int conns, int rounds, std::chrono::microseconds pause) {
    thread = std::thread([this, addr, conns, rounds, pause] {
      std::vector<int> fds;
      ok = true;
      for (int i = 0; i < conns && ok; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const timeval limit{10, 0};  // a server that stopped answering ends the thread
        ok = fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) == 0 &&
             ::connect(fd, addr.data(), addr.size()) == 0;
        if (fd >= 0) fds.push_back(fd);
      }
      for (int r = 0; r < rounds && ok; ++r) {
        for (std::size_t i = 0; i < fds.size() && ok; ++i) {
          const std::string out = make_pattern(uint64_t(r) * 1000 + i, 64);
          ok = ::send(fds[i], out.data(), out.size(), MSG_NOSIGNAL) == 64;
        }
        for (std::size_t i = 0; i < fds.size() && ok; ++i) {
          std::string in(64, '\0');
          std::size_t got = 0;
          while (ok && got < 64) {
            const ssize_t n = ::recv(fds[i], in.data() + got, 64 - got, 0);
            ok = n > 0;
            if (ok) got += static_cast<std::size_t>(n);
          }
          ok = ok && in == make_pattern(uint64_t(r) * 1000 + i, 64);
        }
        if (pause.count() > 0) std::this_thread::sleep_for(pause);
      }
      for (int fd : fds) ::close(fd);
    });
  }
  ~LockStepClient() {
    if (thread.joinable()) thread.join();
  }
};

Task<> wait_for(TaskGroup& g) { co_await g.wait(); }

Task<> serve_echo(Listener& l, int conns, TaskGroup& servers, std::vector<Stream>& streams) {
  streams.reserve(static_cast<std::size_t>(conns));
  for (int i = 0; i < conns; ++i) {
    auto s = co_await l.accept();
    if (!s) co_return;
    streams.push_back(std::move(*s));
    servers.spawn(echo_back(streams.back()));
  }
}

struct LockStepRun {
  bool ended = false;  // the client closed every connection within the time allowed
  bool ok = false;     // and every echo came back whole
  std::chrono::milliseconds took{};
  uint64_t batched_waits = 0;
};

/// Echoes for a LockStepClient until it closes its connections (60 s at most).
/// (It awaits the echo tasks, not a short timer: a timer due sooner than
/// min_wait would make every wait plain.)
Task<LockStepRun> lock_step(Runtime& rt, int conns, int rounds, std::chrono::microseconds pause) {
  Listener l = test::listen_local();
  LockStepClient client;
  client.start(l.local_address(), conns, rounds, pause);
  TaskGroup servers;
  std::vector<Stream> streams;
  LockStepRun run;
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t waits0 = rt.stats().batched_waits;
  if (co_await with_timeout(serve_echo(l, conns, servers, streams), 30s) && streams.size() == std::size_t(conns))
    run.ended = static_cast<bool>(co_await with_timeout(wait_for(servers), 60s));
  run.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  run.batched_waits = rt.stats().batched_waits - waits0;
  if (!run.ended) {  // close the server's ends so that the client's reads end
    servers.cancel();
    co_await servers.wait();
    streams.clear();
  }
  client.thread.join();  // (blocks the shard, which has nothing left to serve)
  run.ok = client.ok;
  co_return run;
}

}  // namespace

TEST_CASE_TEMPLATE("min_wait: a few clients in lock-step with the shard are not held to min_wait (pacing)", B,
                   CORING_BACKENDS) {
  // 8 connections answered together make every turn busy; the client sends
  // again only once all 8 echoes are back. Waits of min_wait (300 ms) would
  // make 300 rounds last 90 s: the pace (an eighth of a connection's time
  // between receives) keeps each wait far shorter.
  RuntimeOptions opts;
  opts.min_wait = 300ms;
  opts.min_wait_completions = 32;  // more than are ever in flight
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        const LockStepRun run = co_await lock_step(rt, 8, 300, 0us);
        INFO("took " << run.took.count() << " ms, batched waits " << run.batched_waits);
        CHECK(run.ended);
        CHECK(run.ok);
        CHECK(run.took < 20s);
      },
      opts);
}

TEST_CASE_TEMPLATE("min_wait: clients that pause between bursts get batched waits, every byte back", B,
                   CORING_BACKENDS) {
  // 64 connections send together, then pause 1 ms: a connection's time
  // between receives is over 1 ms, so its eighth is over min_wait (200 us),
  // and the turns inside a burst are busy: their next waits are batched.
  RuntimeOptions opts;
  opts.min_wait = 200us;
  opts.min_wait_completions = 128;
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        const LockStepRun run = co_await lock_step(rt, 64, 150, 1000us);
        std::string why;
        const bool on = min_wait_on(rt, why);
        INFO("took " << run.took.count() << " ms, batched waits " << run.batched_waits << ", min_wait: " << why);
        CHECK(run.ended);
        CHECK(run.ok);
        if constexpr (std::is_same_v<B, test::Epoll>) {
          CHECK(run.batched_waits == 0);
        } else if (on) {
          CHECK(run.batched_waits > 0);
        }
      },
      opts);
}

TEST_CASE_TEMPLATE("min_wait: 100 connections echo under batched waits, every byte back - features() says it is used",
                   B, CORING_BACKENDS) {
  RuntimeOptions opts;
  opts.min_wait = 2ms;
  opts.min_wait_completions = 32;
  test::run_on<B>(
      [](Runtime& rt) -> Task<> {
        Listener l = test::listen_local();
        std::vector<Pair> pairs;
        for (int i = 0; i < 100; ++i) pairs.push_back(co_await connected_pair(l));
        TaskGroup servers;
        for (Pair& p : pairs) servers.spawn(echo_back(p.server));
        const uint64_t before = rt.stats().batched_waits;
        bool ok = false;
        co_await burst(pairs, 50, ok);
        CHECK(ok);
        std::string why;
        const bool on = min_wait_on(rt, why);
        if constexpr (std::is_same_v<B, test::Epoll>) {
          CHECK(!on);
          CHECK(rt.stats().batched_waits == before);
        } else if (on) {
          CHECK(rt.stats().batched_waits > before);  // the batched path ran
        } else {
          MESSAGE("min_wait not used here: " << why);
          CHECK(why.find("needs Linux 6.12") != std::string::npos);
        }
        for (Pair& p : pairs) (void)p.client.shutdown(ShutdownHow::write);
        co_await servers.wait();
      },
      opts);
}

TEST_CASE_TEMPLATE("min_wait: a timer due sooner than min_wait fires on time after a busy turn - a lone request is answered",
                   B, CORING_BACKENDS) {
  RuntimeOptions opts;
  opts.min_wait = 300ms;  // far longer than anything here would take without it
  test::run_on<B>(
      [](Runtime&) -> Task<> {
        Listener l = test::listen_local();
        std::vector<Pair> pairs;
        for (int i = 0; i < 20; ++i) pairs.push_back(co_await connected_pair(l));
        TaskGroup servers;
        for (Pair& p : pairs) servers.spawn(echo_back(p.server));
        bool ok = false;
        co_await burst(pairs, 20, ok);  // its last turns were busy: the next wait would be batched
        CHECK(ok);
        // A 20 ms timer waits plainly (due before min_wait), not for 300 ms.
        const auto t0 = std::chrono::steady_clock::now();
        co_await nap(20ms);
        const auto took = std::chrono::steady_clock::now() - t0;
        CHECK(took < 250ms);
        // One request after a burst: at most one batched wait (300 ms) before it is seen.
        auto one = co_await with_timeout(round_trips(pairs[0].client, 77, 3, 100), 5s);
        CHECK((one && *one));
        for (Pair& p : pairs) (void)p.client.shutdown(ShutdownHow::write);
        co_await servers.wait();
      },
      opts);
}

TEST_CASE("min_wait: off by default, and features() says why") {
  test::run_on<test::Uring>([](Runtime& rt) -> Task<> {
    std::string why;
    if (std::getenv("CORING_MIN_WAIT_US")) co_return;  // the batched-wait runs of the other tests turn it on
    CHECK(!min_wait_on(rt, why));
    const bool kernel_has = why.find("needs Linux 6.12") == std::string::npos && why != "off by option";
    if (kernel_has) CHECK(why == "the kernel has it; not used: RuntimeOptions::min_wait is 0");
    co_return;
  });
}
