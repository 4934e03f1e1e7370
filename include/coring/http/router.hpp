// http::Router: maps a method and a path to a handler: a coroutine Task<Response>(Request&), or a plain Response(Request&).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "coring/core/task.hpp"
#include "coring/http/request.hpp"
#include "coring/http/response.hpp"

namespace coring::http {

/// A handler coroutine: may co_await anything before it answers.
using Handler = std::function<Task<Response>(Request&)>;
/// A handler that answers at once, without waiting for anything: the server
/// calls it directly, with no coroutine frame (the cheaper choice when it fits).
using SyncHandler = std::function<Response(Request&)>;

/// Routes are matched in the order they were added. A path ending in "*"
/// matches every path that starts with what precedes the star
/// ("/static/*"); any other path must match exactly. A GET route also
/// answers HEAD (the server drops the body). A path known under other
/// methods only answers 405 with an Allow field; an unknown path 404.
/// Handlers are kept by value: captures live as long as the router.
class Router {
 public:
  Router& route(std::string_view method, std::string path, Handler h);
  Router& route(std::string_view method, std::string path, SyncHandler h);
  Router& get(std::string path, Handler h) { return route("GET", std::move(path), std::move(h)); }
  Router& get(std::string path, SyncHandler h) { return route("GET", std::move(path), std::move(h)); }
  Router& post(std::string path, Handler h) { return route("POST", std::move(path), std::move(h)); }
  Router& post(std::string path, SyncHandler h) { return route("POST", std::move(path), std::move(h)); }
  Router& put(std::string path, Handler h) { return route("PUT", std::move(path), std::move(h)); }
  Router& put(std::string path, SyncHandler h) { return route("PUT", std::move(path), std::move(h)); }
  Router& del(std::string path, Handler h) { return route("DELETE", std::move(path), std::move(h)); }
  Router& del(std::string path, SyncHandler h) { return route("DELETE", std::move(path), std::move(h)); }

  struct Match {
    const Handler* handler = nullptr;   ///< a coroutine handler, or
    const SyncHandler* sync = nullptr;  ///< a plain one; both null: answer `status`
    int status = 200;                   ///< 404 or 405 when there is no handler
    std::string allow;                  ///< for 405: the methods the path accepts
  };
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Entry {
    std::string method;
    std::string path;  // without the trailing '*' for a prefix route
    bool prefix = false;
    Handler handler;
    SyncHandler sync;
  };
  Router& add(std::string_view method, std::string path, Handler h, SyncHandler sync);

  std::vector<Entry> routes_;
};

}  // namespace coring::http
