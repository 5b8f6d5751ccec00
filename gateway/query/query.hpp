#pragma once
// The typed queries a gateway may ask of the engine thread (docs/ARCHITECTURE.md, "Gateways"): each
// gateway turns its wire format into one of these (HTTP: web/http_routes.hpp; WebSocket's route_quote),
// and query_service.hpp answers it on the engine thread, in one place. Nothing here knows a socket.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "cpx/time.hpp"

namespace cpx::query {

struct Instruments {};
struct Network {};
// CPX indices over the last `window_hours` of exchange time.
struct Indices {
  int64_t window_hours = 24;
};
// An instrument's OHLCV bars, newest `limit`.
struct Bars {
  std::string symbol;
  int64_t interval_ns = kNanosPerHour;
  size_t limit = 100;
};
// An instrument's aggregated book, `depth` levels a side.
struct Book {
  std::string symbol;
  size_t depth = 10;
};
// The newest public trades, of one instrument or (symbol empty) of all.
struct Trades {
  std::string symbol;
  size_t limit = 100;
};
struct Auctions {};
// One delivery day's auction; `day_text` as the client wrote it (YYYY-MM-DD), for the answer.
struct Auction {
  Timestamp day = 0;
  std::string day_text;
};
// Monitoring over [from, to): unset `from` is today (CST) by exchange time, unset `to` one day after `from`.
struct Monitor {
  std::optional<Timestamp> from, to;
};
// A landed-cost route quote (docs/API.md). Its regions and chip classes are names only the engine thread's
// reference data can resolve, so the request travels parsed, decoded there. `id_json`: the WebSocket
// request's id (JSON text), echoed in the answer; empty over HTTP.
struct RouteQuote {
  nlohmann::json request;
  std::string id_json;
};

using Query = std::variant<Instruments, Network, Indices, Bars, Book, Trades, Auctions, Auction, Monitor, RouteQuote>;

// A query's answer: one JSON object and the HTTP status it would carry (a WebSocket sends the body).
struct Answer {
  int status = 200;
  std::string body;
};

}  // namespace cpx::query
