// Differential test: our parser against nodejs http_parser 2.9 (libhttp-parser-dev) on the shared corpus.
//
// Both must agree on whether a request is acceptable, and on method, target, body and keep-alive
// when both accept it, except where the corpus marks the oracle as more lenient than RFC 9112
// (it accepts obs-fold, bare LF, a missing or doubled Host, HTTP/2.0 on an HTTP/1 connection...),
// stricter (it knows only a fixed list of methods), or where a size limit of ours decides.
// The test asserts those marks too, so a change on either side shows up here.
#include <doctest/doctest.h>
#include <http_parser.h>

#include "corpus.hpp"
#include "parse_print.hpp"

using namespace coring::http;
using namespace coring::http::test;

namespace {

struct OracleMsg {
  std::string method, url, body;
  bool keep_alive = false;
};
struct OracleResult {
  bool error = false;
  bool incomplete = false;
  std::string error_name;
  std::vector<OracleMsg> msgs;
};

struct OracleState {
  OracleResult* out;
  OracleMsg cur;
};

OracleResult run_oracle(const std::string& raw) {
  OracleResult out;
  OracleState st{&out, {}};
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_url = [](http_parser* p, const char* at, size_t n) {
    static_cast<OracleState*>(p->data)->cur.url.append(at, n);
    return 0;
  };
  s.on_body = [](http_parser* p, const char* at, size_t n) {
    static_cast<OracleState*>(p->data)->cur.body.append(at, n);
    return 0;
  };
  s.on_headers_complete = [](http_parser* p) {
    auto* st = static_cast<OracleState*>(p->data);
    st->cur.method = http_method_str(static_cast<http_method>(p->method));
    st->cur.keep_alive = http_should_keep_alive(p) != 0;
    return 0;
  };
  s.on_message_complete = [](http_parser* p) {
    auto* st = static_cast<OracleState*>(p->data);
    st->out->msgs.push_back(std::move(st->cur));
    st->cur = OracleMsg{};
    return 0;
  };
  http_parser p;
  http_parser_init(&p, HTTP_REQUEST);
  p.data = &st;
  http_parser_execute(&p, &s, raw.data(), raw.size());
  if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
    out.error = true;
    out.error_name = http_errno_name(HTTP_PARSER_ERRNO(&p));
  } else {
    // Still inside a message (e.g. waiting for a body it thinks follows): not an acceptance.
    out.incomplete = !st.cur.method.empty() || !st.cur.url.empty();
  }
  return out;
}

}  // namespace

TEST_CASE("oracle: http_parser agrees wherever RFC 9112 leaves no choice") {
  int agreed = 0, lenient = 0, strict = 0;
  for (const Case& c : corpus()) {
    const std::string name = c.name;
    CAPTURE(name);
    if (c.oracle == Oracle::policy) continue;
    const Parsed ours = parse_whole(c.raw, corpus_limits());
    const OracleResult theirs = run_oracle(c.raw);
    CAPTURE(theirs.error_name);
    const bool we_accept = ours.status == 0;
    const bool they_accept = !theirs.error && !theirs.incomplete;
    switch (c.oracle) {
      case Oracle::agree:
        CHECK(we_accept == they_accept);
        if (we_accept && they_accept) {
          REQUIRE(ours.msgs.size() == theirs.msgs.size());
          for (std::size_t i = 0; i < ours.msgs.size(); ++i) {
            CHECK(ours.msgs[i].method == theirs.msgs[i].method);
            CHECK(ours.msgs[i].target == theirs.msgs[i].url);
            CHECK(ours.msgs[i].body == theirs.msgs[i].body);
            CHECK(ours.msgs[i].keep_alive == theirs.msgs[i].keep_alive);
          }
        }
        ++agreed;
        break;
      case Oracle::lenient:
        CHECK(!we_accept);
        CHECK(they_accept);
        ++lenient;
        break;
      case Oracle::strict:
        CHECK(we_accept);
        CHECK(!they_accept);
        ++strict;
        break;
      case Oracle::policy:
        break;
    }
  }
  MESSAGE("agreed " << agreed << ", oracle more lenient " << lenient << ", oracle stricter " << strict);
}

TEST_CASE("oracle: both parse every valid corpus request identically at every split point") {
  // The oracle is incremental too; splitting must change nothing on either side.
  for (const Case& c : corpus()) {
    if (c.status != 0 || c.oracle != Oracle::agree) continue;
    const std::string name = c.name;
    CAPTURE(name);
    const OracleResult whole = run_oracle(c.raw);
    for (std::size_t k = 0; k <= c.raw.size(); ++k) {
      Parsed ours = parse_chunks(cut(c.raw, {k}), corpus_limits(), true);
      REQUIRE(ours.msgs.size() == whole.msgs.size());
      for (std::size_t i = 0; i < ours.msgs.size(); ++i) {
        CHECK(ours.msgs[i].target == whole.msgs[i].url);
        CHECK(ours.msgs[i].body == whole.msgs[i].body);
      }
    }
  }
}
