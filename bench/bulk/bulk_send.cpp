// bulk-send: streams bytes from memory to every client by one way (copy, vectored, registered, zerocopy), or reads them as the client.
//   bulk-send server BACKEND WAY PORT      (one shard; prints "listening PORT" once bound)
//   bulk-send client PORT CONNS SECONDS    (plain blocking reads; prints the bytes received)
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "coring/coring.hpp"

using namespace coring;

namespace {

constexpr std::size_t kChunk = 256 * 1024;
std::vector<std::byte> chunk(kChunk, std::byte{'x'});

Task<> serve_one(Stream s, std::string way) {
  for (;;) {
    Result<std::size_t> r = std::size_t{0};
    if (way == "copy") {
      r = co_await s.send_all(std::span<const std::byte>(chunk));
    } else if (way == "vectored") {  // four parts of 64 KiB, gathered by the kernel
      const std::span<const std::byte> whole(chunk);
      const std::span<const std::byte> parts[4] = {whole.subspan(0, kChunk / 4), whole.subspan(kChunk / 4, kChunk / 4),
                                                  whole.subspan(kChunk / 2, kChunk / 4),
                                                  whole.subspan(3 * kChunk / 4, kChunk / 4)};
      r = co_await s.send_all(std::span<const std::span<const std::byte>>(parts));
    } else {  // registered / zerocopy: a fixed buffer (zero_copy_threshold decides)
      auto b = FixedBuffer::try_acquire();
      while (!b) {  // every buffer waits for its notification: let completions run
        co_await sleep_for(std::chrono::microseconds(50));
        b = FixedBuffer::try_acquire();
      }
      b->resize(b->capacity());
      r = co_await s.send_all(std::move(*b));
    }
    if (!r) co_return;
  }
}

Task<> serve(std::string way, uint16_t port) {
  auto l = Listener::bind("127.0.0.1:" + std::to_string(port));
  if (!l) co_return;
  std::printf("listening %u\n", l->local_address().port());
  std::fflush(stdout);
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;
    spawn(serve_one(std::move(*s), way));
  }
}

int client(uint16_t port, int conns, int seconds) {
  std::atomic<uint64_t> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  for (int i = 0; i < conns; ++i) {
    ts.emplace_back([&] {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
      std::vector<char> buf(1 << 20);
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
        if (r <= 0) break;
        n += static_cast<uint64_t>(r);
      }
      total += n;
      ::close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  std::printf("%llu\n", static_cast<unsigned long long>(total.load()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "client") return client(std::atoi(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
  if (argc != 5 || std::string(argv[1]) != "server") {
    std::fprintf(stderr, "usage: bulk-send server uring|epoll copy|vectored|registered|zerocopy PORT\n"
                         "       bulk-send client PORT CONNS SECONDS\n");
    return 2;
  }
  const std::string way = argv[3];
  RuntimeOptions opts;
  opts.shards = 1;
  opts.backend = *parse_backend(argv[2]);
  opts.fixed_buffer_count = 64;
  opts.fixed_buffer_size = kChunk;
  opts.zero_copy_threshold = way == "zerocopy" ? 16 * 1024 : 0;
  Runtime rt(opts);
  const auto port = static_cast<uint16_t>(std::atoi(argv[4]));
  return rt.run_on_every_shard([way, port] { return serve(way, port); });
}
