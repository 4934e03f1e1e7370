// http::Router: maps a method and a path to a handler coroutine, Task<Response>(Request&).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "coring/core/task.hpp"
#include "coring/http/request.hpp"
#include "coring/http/response.hpp"

namespace coring::http {

using Handler = std::function<Task<Response>(Request&)>;

/// Routes are matched in the order they were added. A path ending in "*"
/// matches every path that starts with what precedes the star
/// ("/static/*"); any other path must match exactly. A GET route also
/// answers HEAD (the server drops the body). A path known under other
/// methods only answers 405 with an Allow field; an unknown path 404.
/// Handlers are kept by value: captures live as long as the router.
class Router {
 public:
  Router& route(std::string_view method, std::string path, Handler h);
  Router& get(std::string path, Handler h) { return route("GET", std::move(path), std::move(h)); }
  Router& post(std::string path, Handler h) { return route("POST", std::move(path), std::move(h)); }
  Router& put(std::string path, Handler h) { return route("PUT", std::move(path), std::move(h)); }
  Router& del(std::string path, Handler h) { return route("DELETE", std::move(path), std::move(h)); }

  struct Match {
    const Handler* handler = nullptr;  ///< null: answer `status`
    int status = 200;                  ///< 404 or 405 when there is no handler
    std::string allow;                 ///< for 405: the methods the path accepts
  };
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Entry {
    std::string method;
    std::string path;  // without the trailing '*' for a prefix route
    bool prefix = false;
    Handler handler;
  };
  std::vector<Entry> routes_;
};

}  // namespace coring::http
