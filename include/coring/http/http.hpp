// coring HTTP/1.1: the parser, requests and responses, the router and the server, in one include.
#pragma once

#include "coring/http/body_writer.hpp"
#include "coring/http/date.hpp"
#include "coring/http/parser.hpp"
#include "coring/http/request.hpp"
#include "coring/http/response.hpp"
#include "coring/http/router.hpp"
#include "coring/http/server.hpp"
#include "coring/http/stats.hpp"
