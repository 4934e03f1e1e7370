// resolve(): getaddrinfo (numeric at once, names on the offload pool, abandonable), and the category of its errors.
//
// Lifecycle of a name lookup (LookupAwaiter and its Lookup):
//
// | state     | registered with                       | the Lookup's references         | the pool thread may still touch |
// |-----------|---------------------------------------|---------------------------------|---------------------------------|
// | queued /  | the offload queue (or parked on the   | the awaiter's, and the call's   | the Lookup (never the frame)    |
// | running   | shard), armed in its task's cancel    | (until its reply is read, or    |                                 |
// |           | state                                 | it is dropped by a stop)        |                                 |
// | answered  | nothing: the reply disarms it and     | the awaiter's                   | nothing                         |
// |           | schedules it                          |                                 |                                 |
// | given up  | nothing: the cancel unhooks it from   | the call's, until getaddrinfo   | the Lookup, which it frees with |
// | (cancel)  | the Lookup and schedules it           | returns and its reply is read   | the last reference              |
// | abandoned | unhooks itself, drops its reference   | the call's                      | the Lookup                      |
// | (frame    |                                       |                                 |                                 |
// | destroyed)|                                       |                                 |                                 |
#include "coring/net/resolve.hpp"

#include <netdb.h>

#include <atomic>
#include <cerrno>
#include <coroutine>
#include <string>
#include <utility>

#include "coring/core/cancel.hpp"
#include "coring/detail/cross_call.hpp"
#include "coring/detail/loop_hooks.hpp"

namespace coring {

namespace {

class ResolveCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int ev) const override { return ::gai_strerror(ev); }
};

// One getaddrinfo call; `flags` adds AI_NUMERICHOST for the inline attempt.
Result<std::vector<SocketAddress>> lookup(const std::string& host, uint16_t port, int family, int flags) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | flags;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc == EAI_SYSTEM) return errno_code(errno);
  if (rc != 0) return std::error_code(rc, resolve_category());
  std::vector<SocketAddress> out;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) out.push_back(SocketAddress::from(ai->ai_addr, ai->ai_addrlen));
  ::freeaddrinfo(res);
  return out;
}

class LookupAwaiter;

// A lookup on the pool, shared by the shard and the pool thread: a caller
// that gives up leaves it behind, and the last reference frees it.
struct Lookup : detail::CrossCall {
  std::string host;
  uint16_t port;
  int family;
  Result<std::vector<SocketAddress>> result = errc::operation_canceled;  // written on the pool thread
  LookupAwaiter* awaiter = nullptr;                                       // on the shard only
  std::atomic<int> refs{2};                                               // the awaiter and the call

  void release() noexcept {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

class LookupAwaiter : detail::Canceller {
 public:
  LookupAwaiter(std::string host, uint16_t port, int family) : host_(std::move(host)), port_(port), family_(family) {}
  LookupAwaiter(const LookupAwaiter&) = delete;
  ~LookupAwaiter() {
    if (cancel_) cancel_->disarm(this);
    if (l_) {
      if (l_->awaiter == this) l_->awaiter = nullptr;
      l_->release();
    }
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    detail::CancelState* cs = detail::cancel_target_of(h);
    if (cs->cancelled) return false;  // the awaiter rule: no lookup starts (l_ stays null)
    auto* l = new Lookup;
    l_ = l;
    l->host = std::move(host_);
    l->port = port_;
    l->family = family_;
    l->awaiter = this;
    l->caller = h;
    l->offload = true;
    l->run = [](detail::CrossCall* c) {  // on a pool thread
      auto* lk = static_cast<Lookup*>(c);
      lk->result = lookup(lk->host, lk->port, lk->family, 0);
      detail::post_reply(c);
    };
    l->on_reply = [](detail::CrossCall* c) {  // on the shard
      auto* lk = static_cast<Lookup*>(c);
      if (LookupAwaiter* a = lk->awaiter) a->answered();
      lk->release();
    };
    l->on_drop = [](detail::CrossCall* c) { static_cast<Lookup*>(c)->release(); };
    waiter_ = h;
    detail::submit_offload(l);
    cancel_ = cs;
    cancel_fn = [](detail::Canceller* k) { static_cast<LookupAwaiter*>(k)->give_up(); };  // disarmed already
    cs->arm(this);
    return true;
  }
  Result<std::vector<SocketAddress>> await_resume() {
    if (!l_ || gave_up_) return errc::operation_canceled;
    return std::move(l_->result);
  }

 private:
  void answered() noexcept {
    l_->awaiter = nullptr;
    if (cancel_) cancel_->disarm(this);
    cancel_ = nullptr;
    detail::schedule(waiter_);
  }
  void give_up() noexcept {  // getaddrinfo runs on; its reply only drops the call's reference
    cancel_ = nullptr;
    gave_up_ = true;
    l_->awaiter = nullptr;
    detail::schedule(waiter_);
  }

  std::string host_;
  uint16_t port_;
  int family_;
  Lookup* l_ = nullptr;
  detail::CancelState* cancel_ = nullptr;
  std::coroutine_handle<> waiter_;
  bool gave_up_ = false;
};

}  // namespace

const std::error_category& resolve_category() noexcept {
  static const ResolveCategory c;
  return c;
}

Task<Result<std::vector<SocketAddress>>> resolve(std::string host, uint16_t port, int family) {
  if (host.empty()) co_return errc::invalid_argument;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto numeric = lookup(host, port, family, AI_NUMERICHOST);  // never blocks
  if (numeric || numeric.error() != std::error_code(EAI_NONAME, resolve_category())) co_return numeric;
  co_return co_await LookupAwaiter(std::move(host), port, family);
}

}  // namespace coring
