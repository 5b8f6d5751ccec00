#pragma once
// Answers typed queries (query.hpp) on the engine thread, so an answer sits exactly where it belongs in
// the stream of events (a book snapshot between the batches it reflects). The one place where queries
// read the exchange: gateways only parse and format (docs/ARCHITECTURE.md, "Gateways").
#include "query/query.hpp"
#include "server/server_core.hpp"

namespace cpx::web {
class WebSink;
}

namespace cpx::query {

class QueryService {
 public:
  // `market` formats the market's JSON and keeps the recent public trades; both outlive the service.
  QueryService(server::ServerCore& core, const web::WebSink& market) : core_(core), market_(market) {}

  // Engine thread only.
  Answer answer(const Query& q) const;

 private:
  Answer one(const Instruments&) const;
  Answer one(const Time&) const;
  Answer one(const Network&) const;
  Answer one(const Indices&) const;
  Answer one(const Bars&) const;
  Answer one(const Book&) const;
  Answer one(const Trades&) const;
  Answer one(const Auctions&) const;
  Answer one(const Auction&) const;
  Answer one(const Monitor&) const;
  Answer one(const RouteQuote&) const;
  // A participant's own state: own_state.cpp.
  Answer one(const OwnOrders&) const;
  Answer one(const OwnOrder&) const;
  Answer one(const OwnFills&) const;
  Answer one(const OwnBalances&) const;
  Answer one(const OwnContracts&) const;
  Answer one(const OwnStatement&) const;

  server::ServerCore& core_;
  const web::WebSink& market_;
};

}  // namespace cpx::query
