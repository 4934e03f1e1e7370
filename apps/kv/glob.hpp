// Redis-style glob matching (*, ?, [abc], [^a-z], \x) for KEYS, SCAN MATCH and CONFIG GET.
#pragma once

#include <string_view>

namespace kv {

/// True when `s` matches `pattern` (case-sensitive). Iterative: no recursion, O(|p|*|s|) at worst.
bool glob_match(std::string_view pattern, std::string_view s) noexcept;

}  // namespace kv
