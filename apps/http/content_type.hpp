// Content-Type of a static file from its extension (a short fixed table; unknown is octet-stream).
#pragma once

#include <string_view>

namespace coring::apps {

inline std::string_view content_type_for(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return "application/octet-stream";
  const std::string_view ext = path.substr(dot + 1);
  struct Entry {
    std::string_view ext, type;
  };
  static constexpr Entry kTypes[] = {
      {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},   {"js", "text/javascript; charset=utf-8"},
      {"json", "application/json"},         {"txt", "text/plain; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"}, {"xml", "application/xml"},
      {"svg", "image/svg+xml"},             {"png", "image/png"},
      {"jpg", "image/jpeg"},                {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},                 {"webp", "image/webp"},
      {"ico", "image/x-icon"},              {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},           {"woff2", "font/woff2"},
  };
  for (const Entry& e : kTypes)
    if (e.ext == ext) return e.type;
  return "application/octet-stream";
}

}  // namespace coring::apps
