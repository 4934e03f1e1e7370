// doctest printing of a test::Parsed, so a failed comparison shows both parses.
#pragma once

#include <doctest/doctest.h>

#include "parse_util.hpp"

namespace doctest {
template <>
struct StringMaker<coring::http::test::Parsed> {
  static String convert(const coring::http::test::Parsed& p) {
    std::string s = "{status " + std::to_string(p.status) + " (" + p.reason + ") msgs " + std::to_string(p.msgs.size()) +
                    (p.incomplete ? " incomplete" : "");
    for (const auto& m : p.msgs) s += " [" + m.method + " " + m.target + " body=" + std::to_string(m.body.size()) + "]";
    return (s + "}").c_str();
  }
};
}  // namespace doctest
