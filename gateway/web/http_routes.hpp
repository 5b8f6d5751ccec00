#pragma once
// The HTTP API's routing table (docs/API.md): a request's method and target become a typed query for the
// engine thread (query/query.hpp), an endpoint the HTTP session answers itself, or a refusal. No Beast and
// no engine state here: parsing only, testable on its own.
#include <string>
#include <string_view>
#include <variant>

#include "query/query.hpp"

namespace cpx::web {

// Answered by the HTTP session: /health and /metrics on the I/O thread (they must answer while the engine
// cannot), /admin through its signature check.
enum class HttpLocal { Health, Metrics, Admin };

struct HttpRefusal {
  int status = 400;
  std::string body;  // error_json
};

// REST order entry (docs/API.md §6.14): the request as a WebSocket session would send it, signed by the
// user whose participant it acts for, answered with the events it caused.
struct HttpOrderEntry {
  nlohmann::json request;
};

using HttpRoute = std::variant<query::Query, HttpLocal, HttpRefusal, HttpOrderEntry>;

HttpRoute route_http(std::string_view method, std::string_view target, const std::string& body);

// The queries that need a signed request (a participant's own state): the signature names the participant.
query::Asker* asker_of(query::Query& q);

// The value of `key` in a URL query string, percent-escapes decoded; empty when absent.
std::string query_param(std::string_view query, std::string_view key);

}  // namespace cpx::web
