// Stream::send_file on every backend and rung (CTest runs it again with CORING_SEND_FILE=read): bytes, order, a shrinking file, cancel, close, abandon.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"

using namespace coring;
using namespace std::chrono_literals;

namespace {
using test::bytes_of;
using test::make_pattern;
using test::read_raw;
using test::recv_to_eof;
using test::small_buffers;
using test::TempFile;


Task<Result<std::size_t>> send_file_then_shutdown(Stream& s, const File& f, uint64_t off, uint64_t len) {
  auto r = co_await s.send_file(f, off, len);
  (void)s.shutdown();
  co_return r;
}

Task<Result<std::size_t>> send_file_once(Stream& s, const File& f, uint64_t off, uint64_t len) {
  co_return co_await s.send_file(f, off, len);
}

/// Reads to EOF slowly (a nap per buffer), so the sender waits on a full socket.
Task<bool> slow_recv_to_eof(Stream& s, std::string& out) {
  for (;;) {
    auto b = co_await s.recv();
    if (!b) co_return false;
    if (b->empty()) co_return true;
    out.append(b->view());
    if (out.size() < (256 << 10)) co_await test::nap(1ms);
  }
}

Task<> close_later(Stream& s) {
  co_await sleep_for(20ms);
  s.close();
}
}  // namespace

TEST_CASE_TEMPLATE("send_file: a whole file and a range of it arrive exactly", B, CORING_RUNGS) {
  TempFile tf((5 << 20) + 17);
  test::run_on<B>([&]() -> Task<> {
    Listener l = test::listen_local();
    auto f = co_await File::open(tf.path.string());
    REQUIRE(f);
    for (auto [off, len] : {std::pair<uint64_t, uint64_t>{0, tf.data.size()}, {12345, 3 << 20}, {7, 1}, {0, 0}}) {
      auto [c, s] = co_await test::connected_pair(l);
      small_buffers(s);
      std::string got;
      auto [sent, ok] = co_await when_all(send_file_then_shutdown(s, *f, off, len), recv_to_eof(c, &got));
      INFO("offset " << off << " length " << len);
      REQUIRE(sent);
      CHECK(*sent == len);
      CHECK(ok);
      CHECK(got == tf.data.substr(off, len));
    }
  });
}

TEST_CASE_TEMPLATE("send_file: ordered with the stream's other sends", B, CORING_RUNGS) {
  TempFile tf(2 << 20);
  test::run_on<B>([&]() -> Task<> {
    Listener l = test::listen_local();
    auto f = co_await File::open(tf.path.string());
    REQUIRE(f);
    auto [c, s] = co_await test::connected_pair(l);
    small_buffers(s);
    small_buffers(c);
    const std::string head(1000, 'H'), other(300'000, 'O'), tail(10, 'T');
    auto senders = [&](Stream& st) -> Task<bool> {
      auto one = [&]() -> Task<bool> {
        auto a = co_await st.send_all(head);
        auto b = co_await st.send_file(*f, 0, tf.data.size());
        auto t = co_await st.send_all(tail);
        co_return a && b && t;
      };
      auto two = [&]() -> Task<bool> {
        auto r = co_await st.send_all(other);
        co_return bool(r);
      };
      auto [x, y] = co_await when_all(one(), two());
      (void)st.shutdown();
      co_return x && y;
    };
    std::string got;
    auto [ok, received] = co_await when_all(senders(s), recv_to_eof(c, &got));
    CHECK(ok);
    CHECK(received);
    const std::string expect1 = head + tf.data + other + tail;  // `other` queued behind the file
    const std::string expect2 = head + other + tf.data + tail;
    const std::string expect3 = head + tf.data + tail + other;
    CHECK((got == expect1 || got == expect2 || got == expect3));
  });
}

TEST_CASE_TEMPLATE("send_file: a file that shrinks mid-transfer ends it with no_message_available, no garbage", B,
                   CORING_RUNGS) {
  TempFile tf(8 << 20);
  test::run_on<B>([&]() -> Task<> {
    Listener l = test::listen_local();
    auto f = co_await File::open(tf.path.string());
    REQUIRE(f);
    auto [c, s] = co_await test::connected_pair(l);
    small_buffers(s);
    small_buffers(c);
    auto shrink = [&]() -> Task<bool> {
      co_await test::nap(10ms);
      std::filesystem::resize_file(tf.path, 1 << 20);
      co_return true;
    };
    std::string got;
    auto [sent, shrunk, ok] = co_await when_all(send_file_then_shutdown(s, *f, 0, tf.data.size()), shrink(),
                                                slow_recv_to_eof(c, got));
    (void)shrunk;
    REQUIRE(!sent);
    CHECK(sent.error() == errc::no_message_available);
    CHECK(got.size() < tf.data.size());
    CHECK(got == tf.data.substr(0, got.size()));
    (void)ok;
  });
}

TEST_CASE_TEMPLATE("send_file: cancelled mid-transfer (timeout) - a later transfer on the shard is clean", B, CORING_RUNGS) {
  TempFile tf(16 << 20);
  test::run_on<B>([&]() -> Task<> {
    Listener l = test::listen_local();
    auto f = co_await File::open(tf.path.string());
    REQUIRE(f);
    for (int round = 0; round < 3; ++round) {
      auto [c, s] = co_await test::connected_pair(l);
      small_buffers(s);
      auto r = co_await with_timeout(send_file_once(s, *f, 0, tf.data.size()), 30ms);
      REQUIRE(!r);
      CHECK(r.error() == errc::timed_out);
    }
    // A pipe or buffer with stale bytes reused here would show up in these bytes.
    auto [c, s] = co_await test::connected_pair(l);
    std::string got;
    auto [sent, ok] = co_await when_all(send_file_then_shutdown(s, *f, 100, 3 << 20), recv_to_eof(c, &got));
    REQUIRE(sent);
    CHECK(ok);
    CHECK(got == tf.data.substr(100, 3 << 20));
  });
}

TEST_CASE_TEMPLATE("send_file: close() from another task ends a blocked transfer", B, CORING_RUNGS) {
  TempFile tf(16 << 20);
  test::run_on<B>([&]() -> Task<> {
    Listener l = test::listen_local();
    auto f = co_await File::open(tf.path.string());
    REQUIRE(f);
    auto [c, s] = co_await test::connected_pair(l);
    auto [r, done] = co_await when_all(send_file_once(s, *f, 0, tf.data.size()), close_later(s));
    (void)done;
    REQUIRE(!r);
    CHECK(r.error() == errc::operation_canceled);
    std::string got;
    CHECK(co_await recv_to_eof(c, &got));
    CHECK(got == tf.data.substr(0, got.size()));
  });
}

TEST_CASE_TEMPLATE("send_file: abandoned in flight (its frame destroyed): the peer reads only file bytes", B, CORING_RUNGS) {
  TempFile tf(16 << 20);
  test::run_on<B>([&]() -> Task<> {
    Listener l = test::listen_local();
    auto f = co_await File::open(tf.path.string());
    REQUIRE(f);
    auto [c, s] = co_await test::connected_pair(l);
    small_buffers(s);
    small_buffers(c);
    Task<Result<std::size_t>> t = send_file_once(s, *f, 0, tf.data.size());
    t.handle().resume();
    co_await test::nap(20ms);
    t = {};
    const std::string got = read_raw(c.native_handle(), 300ms);
    CHECK(got.size() > 0);
    CHECK(got.size() < tf.data.size());
    CHECK(got == tf.data.substr(0, got.size()));
    // The stream still sends: its queue is free again.
    CHECK(co_await s.send_all(std::string_view("x")));
  });
}

namespace {
/// Drops the file's pages from the page cache, so reads wait for the disk (epoll: the offload pool).
void evict(const std::filesystem::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}
}  // namespace

TEST_CASE_TEMPLATE("send_file: a file out of the page cache, sent whole, and cancelled while its reads wait", B,
                   CORING_RUNGS) {
  TempFile tf(8 << 20);
  test::run_on<B>([&]() -> Task<> {
    Listener l = test::listen_local();
    auto f = co_await File::open(tf.path.string());
    REQUIRE(f);
    evict(tf.path);
    {
      auto [c, s] = co_await test::connected_pair(l);
      std::string got;
      auto [sent, ok] = co_await when_all(send_file_then_shutdown(s, *f, 0, tf.data.size()), recv_to_eof(c, &got));
      REQUIRE(sent);
      CHECK(ok);
      CHECK(got == tf.data);
    }
    for (int round = 0; round < 5; ++round) {
      evict(tf.path);
      auto [c, s] = co_await test::connected_pair(l);
      auto r = co_await with_timeout(send_file_once(s, *f, 0, tf.data.size()), std::chrono::microseconds(200 * round));
      if (!r) CHECK(r.error() == errc::timed_out);
      std::vector<std::byte> buf(4096);
      auto n = co_await f->read_at(buf, 0);  // the file still reads
      CHECK(n);
    }
  });
}
