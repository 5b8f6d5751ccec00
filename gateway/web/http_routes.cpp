#include "web/http_routes.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <optional>
#include <cstdlib>

#include "json/command_codec.hpp"
#include "web/web_sink.hpp"

namespace cpx::web {

namespace {

using json = nlohmann::json;

HttpRefusal bad_request(std::string text) { return {400, error_json("malformed_request", text)}; }

// A whole number in [lo, hi] from the query string; `fallback` when absent; nullopt when malformed or out of
// range (the endpoint answers 400 with the range, never clamps: a client learns its request was not met).
std::optional<uint64_t> whole_param(std::string_view query, std::string_view key, uint64_t fallback, uint64_t lo,
                                    uint64_t hi) {
  const std::string v = query_param(query, key);
  if (v.empty()) return fallback;
  if (v.size() > 20 || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
  if (errno == ERANGE || n < lo || n > hi) return std::nullopt;
  return n;
}

// `from` and `to` (ISO-8601 times or dates) into [from, to); a refusal when malformed or empty.
std::optional<HttpRefusal> time_range(std::string_view q, Timestamp& from, Timestamp& to) {
  const std::string f = query_param(q, "from"), t = query_param(q, "to");
  if (!f.empty()) {
    const auto v = parse_iso_time(f);
    if (!v) return bad_request("from is an ISO-8601 time or date");
    from = *v;
  }
  if (!t.empty()) {
    const auto v = parse_iso_time(t);
    if (!v) return bad_request("to is an ISO-8601 time or date");
    to = *v;
  }
  if (to <= from) return bad_request("to must be after from");
  return std::nullopt;
}

// The participant endpoints' common parameter: an operator may name any participant.
query::Asker asker(std::string_view q) { return {kNoParticipant, query_param(q, "participant")}; }

// The request of a REST order entry: the body (a JSON object; may be empty for DELETE and cancel-all)
// with its command, `cmd` defaulting to `fallback` and limited to `allowed`, and the order id of the path.
HttpRoute order_entry(const std::string& body, const char* fallback, std::initializer_list<const char*> allowed,
                      uint64_t order_id) {
  json req = body.empty() ? json::object() : json::parse(body, nullptr, false);
  if (!req.is_object()) return bad_request("the body is a JSON object (docs/API.md §6.14)");
  if (!req.contains("cmd")) req["cmd"] = fallback;
  const json& cmd = req["cmd"];
  bool ok = false;
  for (const char* a : allowed) ok = ok || (cmd.is_string() && cmd.get<std::string>() == a);
  if (!ok) return bad_request(std::string("this endpoint takes \"cmd\": \"") + fallback + "\"");
  if (order_id != 0) {
    if (req.contains("order_id") || req.contains("orig_cl_ord_id")) return bad_request("the order is the one the path names");
    req["order_id"] = order_id;
  }
  return HttpOrderEntry{std::move(req)};
}

// One entry of the table: `rest` is what follows the path prefix, `query` the text after '?'.
struct Route {
  std::string_view method;  // empty: any (the endpoint answers a wrong method itself)
  std::string_view path;
  bool prefix;              // the path starts with `path` (the rest names a symbol or day)
  HttpRoute (*parse)(std::string_view rest, std::string_view query, const std::string& body);
};

const std::array kRoutes{
    Route{"GET", "/health", false, [](auto, auto, auto&) -> HttpRoute { return HttpLocal::Health; }},
    Route{"GET", "/metrics", false, [](auto, auto, auto&) -> HttpRoute { return HttpLocal::Metrics; }},
    Route{"GET", "/instruments", false, [](auto, auto, auto&) -> HttpRoute { return query::Instruments{}; }},
    Route{"GET", "/time", false, [](auto, auto, auto&) -> HttpRoute { return query::Time{}; }},
    Route{"POST", "/route/quote", false,
          [](auto, auto, const std::string& body) -> HttpRoute {
            return query::RouteQuote{json::parse(body, nullptr, false), {}};
          }},
    Route{"GET", "/indices", false,
          [](auto, std::string_view q, auto&) -> HttpRoute {
            const auto h = whole_param(q, "window_hours", 24, 1, 24 * 366);
            if (!h) return bad_request("window_hours is 1 to 8784");
            return query::Indices{static_cast<int64_t>(*h)};
          }},
    Route{"GET", "/bars/", true,
          [](std::string_view symbol, std::string_view q, auto&) -> HttpRoute {
            const std::string iv = query_param(q, "interval");
            if (!iv.empty() && iv != "1m" && iv != "1h" && iv != "1d") return bad_request("interval is 1m, 1h or 1d");
            const int64_t interval = iv == "1d" ? kNanosPerDay : iv == "1m" ? 60 * kNanosPerSecond : kNanosPerHour;
            const auto limit = whole_param(q, "limit", 100, 1, 1000);
            if (!limit) return bad_request("limit is 1 to 1000");
            return query::Bars{std::string(symbol), interval, *limit};
          }},
    Route{"GET", "/auctions", false, [](auto, auto, auto&) -> HttpRoute { return query::Auctions{}; }},
    Route{"GET", "/auction/", true,
          [](std::string_view text, auto, auto&) -> HttpRoute {
            const auto day = parse_iso_time(text);
            if (!day || text.size() != 10) return bad_request("the day is YYYY-MM-DD, like /auction/2026-12-02");
            return query::Auction{*day, std::string(text)};
          }},
    Route{"GET", "/monitor", false,
          [](auto, std::string_view q, auto&) -> HttpRoute {
            const std::string f = query_param(q, "from"), t = query_param(q, "to");
            query::Monitor m;
            if (!f.empty()) m.from = parse_iso_time(f);
            if (!t.empty()) m.to = parse_iso_time(t);
            if ((!f.empty() && !m.from) || (!t.empty() && !m.to) || (m.from && m.to && *m.to <= *m.from))
              return bad_request("from and to are ISO-8601 times or dates, from before to (default: today, CST)");
            return m;
          }},
    Route{"GET", "/network", false, [](auto, auto, auto&) -> HttpRoute { return query::Network{}; }},
    Route{"GET", "/book/", true,
          [](std::string_view symbol, std::string_view q, auto&) -> HttpRoute {
            const auto depth = whole_param(q, "depth", 10, 1, 1000);
            if (!depth) return bad_request("depth is 1 to 1000");
            return query::Book{std::string(symbol), *depth};
          }},
    Route{"GET", "/trades", false,
          [](auto, std::string_view q, auto&) -> HttpRoute {
            const auto limit = whole_param(q, "limit", 100, 1, 1000);
            const auto after = whole_param(q, "after", 0, 0, INT64_MAX);
            if (!limit || !after) return bad_request("limit is 1 to 1000; after is a trade id");
            query::Trades t;
            t.symbol = query_param(q, "symbol");
            t.limit = *limit;
            if (!query_param(q, "after").empty()) t.after = *after;
            if (auto r = time_range(q, t.from, t.to)) return *r;
            return t;
          }},
    // A participant's own state: signed like /admin (web_server.cpp checks the signature and fills in the
    // participant before the query goes to the engine thread).
    Route{"GET", "/orders", false,
          [](auto, std::string_view q, auto&) -> HttpRoute {
            const std::string status = query_param(q, "status"), cl = query_param(q, "cl_ord_id");
            if (!cl.empty()) return query::OwnOrder{asker(q), 0, cl};
            if (!status.empty() && status != "open" && status != "all") return bad_request("status is open or all");
            const auto before = whole_param(q, "before", 0, 1, INT64_MAX);
            const auto limit = whole_param(q, "limit", 100, 1, 1000);
            if (!before || !limit) return bad_request("before is an order id; limit is 1 to 1000");
            return query::OwnOrders{asker(q), query_param(q, "symbol"), status != "all", *before, *limit};
          }},
    Route{"GET", "/orders/", true,
          [](std::string_view id, std::string_view q, auto&) -> HttpRoute {
            const auto n = whole_param("id=" + std::string(id), "id", 0, 1, INT64_MAX);
            if (!n || id.empty()) return bad_request("/orders/{order_id}: a positive whole number (by client id: /orders?cl_ord_id=)");
            return query::OwnOrder{asker(q), *n, {}};
          }},
    Route{"GET", "/fills", false,
          [](auto, std::string_view q, auto&) -> HttpRoute {
            const auto after = whole_param(q, "after", 0, 0, INT64_MAX);
            const auto limit = whole_param(q, "limit", 100, 1, 1000);
            if (!after || !limit) return bad_request("after is a trade id; limit is 1 to 1000");
            query::OwnFills f{asker(q), *after};
            f.limit = *limit;
            if (auto r = time_range(q, f.from, f.to)) return *r;
            return f;
          }},
    // REST order entry: the JSON a WebSocket session sends, the command named by the method and path.
    Route{"POST", "/orders/cancel-all", false,
          [](auto, auto, const std::string& body) -> HttpRoute { return order_entry(body, "mass_cancel", {"mass_cancel"}, 0); }},
    Route{"POST", "/orders", false,
          [](auto, auto, const std::string& body) -> HttpRoute {
            return order_entry(body, "new_order", {"new_order", "route_order"}, 0);
          }},
    Route{"DELETE", "/orders/", true,
          [](std::string_view id, auto, const std::string& body) -> HttpRoute {
            const auto n = whole_param("id=" + std::string(id), "id", 0, 1, INT64_MAX);
            if (!n || id.empty()) return bad_request("DELETE /orders/{order_id}: a positive whole number");
            return order_entry(body, "cancel", {"cancel"}, *n);
          }},
    Route{"PATCH", "/orders/", true,
          [](std::string_view id, auto, const std::string& body) -> HttpRoute {
            const auto n = whole_param("id=" + std::string(id), "id", 0, 1, INT64_MAX);
            if (!n || id.empty()) return bad_request("PATCH /orders/{order_id}: a positive whole number");
            return order_entry(body, "replace", {"replace"}, *n);
          }},
    Route{"GET", "/balances", false, [](auto, std::string_view q, auto&) -> HttpRoute { return query::OwnBalances{asker(q)}; }},
    Route{"GET", "/contracts", false,
          [](auto, std::string_view q, auto&) -> HttpRoute {
            const std::string state = query_param(q, "state");
            if (!state.empty() && state != "escrowed" && state != "reported" && state != "disputed" && state != "settled")
              return bad_request("state is escrowed, reported, disputed or settled");
            const auto after = whole_param(q, "after", 0, 0, INT64_MAX);
            const auto limit = whole_param(q, "limit", 100, 1, 1000);
            if (!after || !limit) return bad_request("after is a trade id; limit is 1 to 1000");
            return query::OwnContracts{asker(q), state, *after, *limit};
          }},
    Route{"GET", "/statement", false,
          [](auto, std::string_view q, auto&) -> HttpRoute {
            const std::string format = query_param(q, "format");
            if (!format.empty() && format != "json" && format != "csv") return bad_request("format is json or csv");
            const auto after = whole_param(q, "after", 0, 0, INT64_MAX);
            const auto limit = whole_param(q, "limit", 1000, 1, 10000);
            if (!after || !limit) return bad_request("after is a transfer id; limit is 1 to 10000");
            query::OwnStatement st{asker(q), format == "csv", *after};
            st.limit = *limit;
            if (auto r = time_range(q, st.from, st.to)) return *r;
            return st;
          }},
    Route{"", "/admin", false,
          [](auto, auto, auto&) -> HttpRoute { return HttpLocal::Admin; }},
};

}  // namespace

HttpRoute route_http(std::string_view method, std::string_view target, const std::string& body) {
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  for (const Route& r : kRoutes) {
    const bool match = r.prefix ? path.substr(0, r.path.size()) == r.path : path == r.path;
    if (!match || (!r.method.empty() && r.method != method)) continue;
    return r.parse(path.substr(r.path.size()), query, body);
  }
  return HttpRefusal{404, error_json("not_found", "no such endpoint: " + api::shown(path))};
}

query::Asker* asker_of(query::Query& q) {
  return std::visit(
      [](auto& each) -> query::Asker* {
        if constexpr (requires { each.who; }) {
          return &each.who;
        } else {
          return nullptr;
        }
      },
      q);
}

std::string query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      if (eq == std::string_view::npos) return "";
      // Percent-escapes decoded (a time's "+08:00" arrives as "%2B08:00"); a bad escape stays as it is.
      std::string out;
      const std::string_view v = pair.substr(eq + 1);
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() && std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
          out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        } else {
          out += v[i];
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace cpx::web
