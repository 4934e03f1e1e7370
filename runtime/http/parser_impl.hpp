// Parser internals shared by the state machine (parser.cpp) and the field rules (parser_fields.cpp).
#pragma once

#include <cstdint>
#include <string_view>

#include "coring/http/parser.hpp"

namespace coring::http {

/// States of the request state machine. Order matters: the ranges decide which byte budget a byte counts against.
enum State : std::uint8_t {
  // request line (Limits::max_request_line)
  s_start, s_start_lf, s_method, s_target_start, s_target, s_version, s_rl_cr, s_rl_lf,
  // field lines of the head or the trailer section (Limits::max_header_bytes)
  s_field_start, s_name, s_value_ows, s_value, s_value_lf, s_head_lf,
  // body
  s_head_done, s_body_identity, s_body_end,
  s_chunk_size, s_chunk_ext, s_chunk_size_lf, s_chunk_data, s_chunk_data_cr, s_chunk_data_lf,
  s_done, s_error,
};

/// Longest chunk-size line (size, extensions, CRLF) accepted [400].
inline constexpr std::size_t kMaxChunkLine = 4096;

/// Empty lines ignored before a request line (RFC 9112 §2.2 asks for at least one); one more is a flood [400].
inline constexpr std::uint8_t kMaxEmptyLines = 4;

struct Parser::Impl {
  /// At the start of a message: parses a complete head that lies whole in [s, s + n) and
  /// returns the bytes it took (the parser is then in s_head_done, exactly as the state
  /// machine would leave it), or returns 0 having changed nothing (parser_fast.cpp).
  static std::size_t fast_head(Parser& p, const char* s, std::size_t n) noexcept;
  static std::size_t bail(Parser& p) noexcept;  // undoes a fast_head attempt; returns 0
  /// Applies the framing and connection rules of one header field; 0 or an error status.
  static int on_field(Parser& p, std::string_view name, std::string_view value, std::string_view& reason) noexcept;
  /// Checks the complete head (Host, CL vs TE, limits); 0 or an error status.
  static int on_head_end(Parser& p, std::string_view& reason) noexcept;
  /// Checks the request-target's form against the method; 0 or an error status.
  static int check_target(const Parser& p, std::string_view& reason) noexcept;
};

}  // namespace coring::http
