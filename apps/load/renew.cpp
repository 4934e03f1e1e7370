// coring-load --renew K (renew.hpp): open-loop HTTP GETs, each connection replaced after K requests or when the server closes it.
#include "renew.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace coring::load {

namespace {

enum class Answer { ok, ok_close, closed_first, reset, bad };

/// Is the reused connection still open? A server's idle close (FIN) reads as end of file.
bool peer_closed(const Stream& s) {
  char c;
  const ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

bool is_reset(const std::error_code& e) {
  return e == errc::connection_reset || e == errc::broken_pipe || e == errc::connection_aborted;
}

/// One GET and its response: status 200, Content-Length body, whether the server closes after it.
Task<Answer> one_request(Stream& s, Shared& sh, uint32_t slot) {
  auto w = co_await s.send_all(std::string_view(sh.http_batch));
  if (!w) {
    sh.report("send", slot, w.error().message());
    co_return is_reset(w.error()) ? Answer::reset : Answer::bad;
  }
  std::string head;
  std::size_t head_len = 0;
  uint64_t body_left = 0;
  bool closes = false;
  for (;;) {
    auto chunk = co_await s.recv();
    if (!chunk) {
      sh.report("recv", slot, chunk.error().message());
      co_return is_reset(chunk.error()) ? Answer::reset : Answer::bad;
    }
    if (chunk->empty()) {
      if (head.empty()) co_return Answer::closed_first;
      sh.report("recv", slot, "server closed the connection inside a response");
      co_return Answer::bad;
    }
    std::string_view in(reinterpret_cast<const char*>(chunk->data()), chunk->size());
    if (head_len == 0) {
      head.append(in);
      const std::size_t end = head.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      head_len = end + 4;
      std::string lower = head.substr(0, head_len);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::size_t cl = lower.find("\r\ncontent-length:");
      if (lower.compare(0, 13, "http/1.1 200 ") != 0 || cl == std::string::npos) {
        sh.report("verify", slot, "not a 200 with Content-Length: " + head.substr(0, head.find('\r')));
        co_return Answer::bad;
      }
      body_left = std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
      closes = lower.find("\r\nconnection: close") != std::string::npos;
      const uint64_t have = head.size() - head_len;
      if (have > body_left) {
        sh.report("verify", slot, "bytes after the response");
        co_return Answer::bad;
      }
      body_left -= have;
    } else {
      if (in.size() > body_left) {
        sh.report("verify", slot, "bytes after the response");
        co_return Answer::bad;
      }
      body_left -= in.size();
    }
    if (body_left == 0) co_return closes ? Answer::ok_close : Answer::ok;
  }
}

/// Sender `nth` of `n`: request k is due at start + (nth / n + k) * n / rate.
Task<> renew_slot(Shared& sh, RenewCounts& rc, const SocketAddress& server, uint32_t nth, uint32_t n,
                  Clock::time_point start, Clock::time_point end) {
  const Config& cfg = *sh.cfg;
  const double interval_ns = double(n) / cfg.rate * 1e9;
  const double phase_ns = interval_ns * nth / n;
  Stream s;
  uint32_t used = 0;
  for (uint64_t k = 0;; ++k) {
    const auto due = start + Duration(static_cast<int64_t>(phase_ns + double(k) * interval_ns));
    if (due >= end) co_return;
    if (Clock::now() < due && !co_await sleep_until(due)) co_return;
    ++rc.requests;
    bool answered = false;
    for (int attempt = 0; attempt < 2 && !answered; ++attempt) {
      if (s.is_open() && (used >= cfg.renew || peer_closed(s))) {
        if (used < cfg.renew) ++rc.server_closes;
        s.close();
      }
      if (!s.is_open()) {
        auto c = co_await with_timeout(Stream::connect(server),
                                       Duration(static_cast<int64_t>(cfg.connect_timeout * 1e9)));
        if (!c) {
          ++rc.refused;
          sh.report("connect", nth, c.error().message());
          break;
        }
        s = std::move(*c);
        used = 0;
        ++rc.connects;
      }
      const bool reused = used > 0;
      ++used;
      const Answer a = co_await one_request(s, sh, nth);
      if (a == Answer::ok || a == Answer::ok_close) {
        answered = true;
        ++rc.ok;
        const int64_t due_ns = std::chrono::duration_cast<Duration>(due.time_since_epoch()).count();
        sh.hist.record(static_cast<uint64_t>(now_ns() - due_ns));
        ++sh.messages;
        if (a == Answer::ok_close) {
          ++rc.server_closes;
          s.close();
        }
        continue;
      }
      s.close();
      if (a == Answer::closed_first && reused && attempt == 0) {  // the server's close crossed our request
        ++rc.retried;
        continue;
      }
      if (a == Answer::reset) ++rc.resets;
      ++rc.failed;
      break;
    }
  }
}

Task<> run_slots(std::vector<Task<>> tasks) { co_await when_all(std::move(tasks)); }

}  // namespace

Task<RenewCounts> run_renew(Shared& sh, SocketAddress server) {
  const Config& cfg = *sh.cfg;
  RenewCounts rc;
  const auto start = Clock::now();
  const auto end = start + Duration(static_cast<int64_t>(cfg.duration * 1e9));
  std::vector<Task<>> slots;
  for (uint32_t i = 0; i < cfg.connections; ++i)
    slots.push_back(renew_slot(sh, rc, server, i, cfg.connections, start, end));
  auto r = co_await with_timeout(run_slots(std::move(slots)),
                                 Duration(static_cast<int64_t>((cfg.duration + cfg.timeout) * 1e9)));
  if (!r) {
    std::fprintf(stderr, "coring-load: the run did not finish in time\n");
    ++sh.errors;
  }
  co_return rc;
}

void print_renew(const RenewCounts& c) {
  const auto ull = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "{\"renew\":{\"requests\":%llu,\"ok\":%llu,\"failed\":%llu,\"resets\":%llu,\"refused\":%llu,\"retried\":%llu,"
      "\"server_closes\":%llu,\"connects\":%llu}}\n",
      ull(c.requests), ull(c.ok), ull(c.failed), ull(c.resets), ull(c.refused), ull(c.retried), ull(c.server_closes),
      ull(c.connects));
  std::fflush(stdout);
}

}  // namespace coring::load
