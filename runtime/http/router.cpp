// Router: ordered exact and prefix routes; HEAD falls back to GET; 404 and 405 (with Allow) otherwise.
#include "coring/http/router.hpp"

namespace coring::http {

Router& Router::route(std::string_view method, std::string path, Handler h) {
  return add(method, std::move(path), std::move(h), {});
}
Router& Router::route(std::string_view method, std::string path, SyncHandler h) {
  return add(method, std::move(path), {}, std::move(h));
}

Router& Router::add(std::string_view method, std::string path, Handler h, SyncHandler sync) {
  Entry e;
  e.method = std::string(method);
  e.prefix = !path.empty() && path.back() == '*';
  if (e.prefix) path.pop_back();
  e.path = std::move(path);
  e.handler = std::move(h);
  e.sync = std::move(sync);
  routes_.push_back(std::move(e));
  return *this;
}

namespace {
/// Equal strings; short ones (methods, most paths) compared inline.
bool same(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.size() > 16) return a == b;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

template <class M, class E>
void set_handler(M& m, const E& e) noexcept {
  if (e.sync) m.sync = &e.sync;
  else m.handler = &e.handler;
}
}  // namespace

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  const Entry* head_fallback = nullptr;
  bool path_known = false;
  for (const Entry& e : routes_) {
    const bool hit = e.prefix ? path.substr(0, e.path.size()) == e.path : same(path, e.path);
    if (!hit) continue;
    if (same(e.method, method)) {
      set_handler(m, e);
      return m;
    }
    if (method == "HEAD" && e.method == "GET" && !head_fallback) head_fallback = &e;
    path_known = true;
    if (m.allow.find(e.method) == std::string::npos) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += e.method;
      if (e.method == "GET") m.allow += ", HEAD";
    }
  }
  if (head_fallback) {
    set_handler(m, *head_fallback);
    m.allow.clear();
    return m;
  }
  m.status = path_known ? 405 : 404;
  return m;
}

}  // namespace coring::http
