// The tutorial's Redis-protocol server (docs/tutorial.md, step 6): RESP read with BufferedReader, replies through BufferedWriter.
#include <coring/coring.hpp>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

using namespace coring;

// Nothing a client announces is trusted: a request has at most this many
// arguments, an argument at most this many bytes.
constexpr std::size_t max_args = 1024;
constexpr std::size_t max_bulk = 1024 * 1024;

// The number in a "*3" or "$5" line (without its "\r\n"), or -1 when the line
// is not of that type or the number is above `max`.
long long length_of(std::string_view line, char type, std::size_t max) {
  if (line.size() < 2 || line[0] != type) return -1;
  long long n = -1;
  const char* end = line.data() + line.size();
  auto [stop, err] = std::from_chars(line.data() + 1, end, n);
  if (err != std::errc{} || stop != end || n < 0 || static_cast<std::size_t>(n) > max) return -1;
  return n;
}

enum class Got { request, end, malformed };

// Reads one request, "*<n>\r\n" and then n times "$<len>\r\n<len bytes>\r\n",
// into `args`. Gives `end` when the client closed (or an error or a timeout
// ended the read), `malformed` when the bytes are not RESP.
Task<Got> read_request(BufferedReader& in, std::vector<std::string>& args) {
  args.clear();
  auto header = co_await in.read_until("\r\n");  // a view, valid until the next read
  if (!header || header->empty()) co_return Got::end;
  const long long n = length_of(header->substr(0, header->size() - 2), '*', max_args);
  if (n < 1) co_return Got::malformed;
  for (long long i = 0; i < n; ++i) {
    auto line = co_await in.read_until("\r\n");
    if (!line || line->empty()) co_return Got::end;
    const long long len = length_of(line->substr(0, line->size() - 2), '$', max_bulk);
    if (len < 0) co_return Got::malformed;
    auto bulk = co_await in.read_exactly(static_cast<std::size_t>(len) + 2);  // the bytes and their "\r\n"
    if (!bulk || bulk->empty()) co_return Got::end;
    if (!bulk->ends_with("\r\n")) co_return Got::malformed;
    args.emplace_back(bulk->substr(0, static_cast<std::size_t>(len)));  // a copy: the view ends at the next read
  }
  co_return Got::request;
}

// RESP replies: a bulk string, an integer, an error.
std::string bulk(std::string_view v) { return "$" + std::to_string(v.size()) + "\r\n" + std::string(v) + "\r\n"; }
std::string integer(long long v) { return ":" + std::to_string(v) + "\r\n"; }
std::string error(std::string_view text) { return "-ERR " + std::string(text) + "\r\n"; }

// One shard, so one table that only this thread touches.
std::unordered_map<std::string, std::string> table;

// Runs one request and gives its reply.
std::string run(std::vector<std::string>& a) {
  std::string name = a[0];
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t n = a.size();
  if (name == "ping" && n <= 2) return n == 2 ? bulk(a[1]) : "+PONG\r\n";
  if (name == "echo" && n == 2) return bulk(a[1]);
  if (name == "set" && n == 3) {
    table[a[1]] = std::move(a[2]);
    return "+OK\r\n";
  }
  if (name == "get" && n == 2) {
    auto it = table.find(a[1]);
    return it == table.end() ? "$-1\r\n" : bulk(it->second);
  }
  if (name == "del" && n >= 2) {
    long long gone = 0;
    for (std::size_t i = 1; i < n; ++i) gone += static_cast<long long>(table.erase(a[i]));
    return integer(gone);
  }
  if (name == "command") return "*0\r\n";  // redis-cli asks for the command table when it starts
  for (std::string_view known : {"ping", "echo", "set", "get", "del"})
    if (name == known) return error("wrong number of arguments for '" + name + "' command");
  return error("unknown command");
}

// One connection: requests in, replies out, one send per batch of pipelined requests.
Task<> session(Stream s) {
  BufferedReader in(s, {.max_buffered = max_bulk + 2});  // room for the largest argument
  BufferedWriter out(s);                                 // replies gathered in one bounded buffer
  std::vector<std::string> args;
  for (;;) {
    const Got got = co_await read_request(in, args);
    if (got == Got::end) co_return;
    if (got == Got::malformed) {  // the stream can no longer be framed: say so, and close
      if (co_await out.write(error("Protocol error"))) co_await out.flush();
      co_return;
    }
    if (!co_await out.write(run(args))) co_return;
    if (in.available() == 0 && !co_await out.flush()) co_return;  // nothing more buffered: send the batch
  }
}

Task<> serve(uint16_t port) {
  auto l = Listener::bind(SocketAddress::ipv4(0x7f000001, port), {.reuse_port = true});
  if (!l) {
    std::fprintf(stderr, "cannot listen: %s\n", l.error().message().c_str());
    co_return;
  }
  for (;;) {
    auto s = co_await l->accept();
    if (!s) co_return;  // the listener closed: the server is stopping
    spawn(session(std::move(*s)));
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 6380);
  RuntimeOptions opts;
  opts.shards = 1;  // one table on one thread; apps/kv partitions keys over every core
  Runtime rt(opts);
  return rt.run_on_every_shard([port] { return serve(port); });
}
