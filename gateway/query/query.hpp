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

#include "cpx/domain.hpp"
#include "cpx/time.hpp"

namespace cpx::query {

struct Instruments {};
// The exchange's clock (the time inside its commands) beside the server's wall clock.
struct Time {};
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
// Public trades (the tape), of one instrument or (symbol empty) of all: without `after`, the newest `limit`;
// with it, those with trade id > after, oldest first; from <= time < to either way.
struct Trades {
  std::string symbol;
  size_t limit = 100;
  std::optional<TradeId> after;
  Timestamp from = INT64_MIN, to = INT64_MAX;
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

// A participant's own state (docs/API.md, "Your orders, fills and money"), asked by a logged-in or
// signed-in participant: about itself, or (operators only) about the participant whose code is `about`.
struct Asker {
  ParticipantId participant = kNoParticipant;
  std::string about;  // empty: the asker
};
// Open orders (oldest first), or every kept order newest first with ids below `before`.
struct OwnOrders {
  Asker who;
  std::string symbol;  // empty: all instruments
  bool open_only = true;
  OrderId before = 0;
  size_t limit = 100;
};
// One order by id, or the newest with a client order id; a routed order with its children.
struct OwnOrder {
  Asker who;
  OrderId order_id = 0;
  std::string cl_ord_id;
};
// Fills with trade id > `after`, from <= time < to, oldest first; `next_after` in the answer continues.
struct OwnFills {
  Asker who;
  TradeId after = 0;
  Timestamp from = INT64_MIN, to = INT64_MAX;
  size_t limit = 100;
};
struct OwnBalances {
  Asker who;
};
// Contracts the participant bought or sold, trade id > `after`, ascending, optionally in one state
// (escrowed, reported, disputed, settled). At most `limit`, and at most kContractsScanned contracts are
// looked at per request (the answer's `next_after` goes on from where it stopped).
struct OwnContracts {
  static constexpr size_t kContractsScanned = 20000;
  Asker who;
  std::string state;
  TradeId after = 0;
  size_t limit = 100;
};
// The participant's cash statement (as the operator's), a page of it: lines with transfer id > `after`,
// from <= ts < to, at most `limit`; JSON or CSV.
struct OwnStatement {
  Asker who;
  bool csv = false;
  uint64_t after = 0;
  Timestamp from = INT64_MIN, to = INT64_MAX;
  size_t limit = 1000;
};

using Query = std::variant<Instruments, Time, Network, Indices, Bars, Book, Trades, Auctions, Auction, Monitor, RouteQuote,
                           OwnOrders, OwnOrder, OwnFills, OwnBalances, OwnContracts, OwnStatement>;

// A query's answer: one JSON object and the HTTP status it would carry (a WebSocket sends the body).
struct Answer {
  int status = 200;
  std::string body;
};

}  // namespace cpx::query
