// The HTTP routing table (gateway/web/http_routes.hpp): each endpoint's target becomes the typed query the
// engine thread answers, with the documented defaults, bounds and refusals (docs/API.md).
#include <gtest/gtest.h>

#include <string>

#include "web/http_routes.hpp"

namespace cpx::web {
namespace {

template <class Q>
Q query_of(std::string_view method, std::string_view target, const std::string& body = {}) {
  HttpRoute r = route_http(method, target, body);
  const query::Query* q = std::get_if<query::Query>(&r);
  if (!q || !std::holds_alternative<Q>(*q)) {
    ADD_FAILURE() << method << " " << target << " is not the expected query";
    return Q{};
  }
  return std::get<Q>(*q);
}

HttpRefusal refusal_of(std::string_view method, std::string_view target) {
  HttpRoute r = route_http(method, target, {});
  if (!std::holds_alternative<HttpRefusal>(r)) {
    ADD_FAILURE() << method << " " << target << " was not refused";
    return {};
  }
  return std::get<HttpRefusal>(r);
}

TEST(HttpRoutes, EachEndpointBecomesItsQueryWithDefaults) {
  query_of<query::Instruments>("GET", "/instruments");
  query_of<query::Time>("GET", "/time");
  query_of<query::Network>("GET", "/network");
  query_of<query::Auctions>("GET", "/auctions");
  EXPECT_EQ(query_of<query::Indices>("GET", "/indices").window_hours, 24);
  const auto bars = query_of<query::Bars>("GET", "/bars/NM.H100.D.20261202");
  EXPECT_EQ(bars.symbol, "NM.H100.D.20261202");
  EXPECT_EQ(bars.interval_ns, kNanosPerHour);
  EXPECT_EQ(bars.limit, 100u);
  const auto book = query_of<query::Book>("GET", "/book/X");
  EXPECT_EQ(book.symbol, "X");
  EXPECT_EQ(book.depth, 10u);
  const auto trades = query_of<query::Trades>("GET", "/trades");
  EXPECT_EQ(trades.symbol, "");
  EXPECT_EQ(trades.limit, 100u);
  const auto monitor = query_of<query::Monitor>("GET", "/monitor");
  EXPECT_FALSE(monitor.from);
  EXPECT_FALSE(monitor.to);
  const auto quote = query_of<query::RouteQuote>("POST", "/route/quote", R"({"origin":"JJJ"})");
  EXPECT_EQ(quote.request["origin"], "JJJ");
  EXPECT_EQ(quote.id_json, "");
}

TEST(HttpRoutes, ParametersAreRead) {
  EXPECT_EQ(query_of<query::Indices>("GET", "/indices?window_hours=8784").window_hours, 24 * 366);
  EXPECT_EQ(query_of<query::Bars>("GET", "/bars/X?interval=1d&limit=5").interval_ns, kNanosPerDay);
  EXPECT_EQ(query_of<query::Bars>("GET", "/bars/X?interval=1m").interval_ns, 60 * kNanosPerSecond);
  EXPECT_EQ(query_of<query::Bars>("GET", "/bars/X?limit=1000").limit, 1000u);
  EXPECT_EQ(query_of<query::Book>("GET", "/book/X?depth=1").depth, 1u);
  const auto trades = query_of<query::Trades>("GET", "/trades?limit=3&symbol=A%2EB");
  EXPECT_EQ(trades.symbol, "A.B");
  EXPECT_EQ(trades.limit, 3u);
  EXPECT_FALSE(trades.after) << "no cursor: the newest trades";
  const auto page = query_of<query::Trades>("GET", "/trades?after=0&from=2026-12-02&to=2026-12-03");
  EXPECT_EQ(page.after, std::optional<TradeId>(0));
  EXPECT_EQ(page.from, *parse_iso_time("2026-12-02"));
  EXPECT_EQ(page.to, *parse_iso_time("2026-12-03"));
  const auto monitor = query_of<query::Monitor>("GET", "/monitor?from=2026-12-02T00:00:00%2B08:00&to=2026-12-03");
  ASSERT_TRUE(monitor.from && monitor.to);
  EXPECT_EQ(*monitor.from, *parse_iso_time("2026-12-02T00:00:00+08:00"));
  EXPECT_EQ(*monitor.to, *parse_iso_time("2026-12-03"));
  const auto day = query_of<query::Auction>("GET", "/auction/2026-12-02");
  EXPECT_EQ(day.day_text, "2026-12-02");
  EXPECT_EQ(day.day, *parse_iso_time("2026-12-02"));
}

TEST(HttpRoutes, BadParametersAreRefusedWithTheirRule) {
  auto r = refusal_of("GET", "/bars/X?interval=2h");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("interval is 1m, 1h or 1d"), std::string::npos) << r.body;
  r = refusal_of("GET", "/auction/2026-12-2");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("YYYY-MM-DD"), std::string::npos) << r.body;
  // Out of range is refused, never clamped: the client learns its request was not what it got.
  for (const char* t : {"/indices?window_hours=0", "/indices?window_hours=999999", "/bars/X?limit=5000", "/bars/X?limit=0",
                        "/book/X?depth=0", "/book/X?depth=99999999999999999999", "/book/X?depth=-1", "/book/X?depth=5x",
                        "/trades?limit=1001", "/trades?after=-1", "/trades?from=nope", "/trades?from=2026-12-03&to=2026-12-02"}) {
    r = refusal_of("GET", t);
    EXPECT_EQ(r.status, 400) << t;
    EXPECT_NE(r.body.find("malformed_request"), std::string::npos) << r.body;
  }
  for (const char* t : {"/monitor?from=yesterday", "/monitor?to=nope", "/monitor?from=2026-12-03&to=2026-12-02"}) {
    r = refusal_of("GET", t);
    EXPECT_EQ(r.status, 400) << t;
    EXPECT_NE(r.body.find("from before to"), std::string::npos) << r.body;
  }
}

TEST(HttpRoutes, UnknownPathsAndMethodsAreNotFoundAndLocalEndpointsStayLocal) {
  auto r = refusal_of("GET", "/nothing?x=1");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("no such endpoint: /nothing"), std::string::npos) << r.body;
  EXPECT_EQ(refusal_of("POST", "/instruments").status, 404);
  EXPECT_EQ(refusal_of("GET", "/route/quote").status, 404);
  const std::string huge(100'000, 'a');
  EXPECT_LT(refusal_of("GET", "/" + huge).body.size(), 400u) << "the path is shown bounded";
  EXPECT_EQ(std::get<HttpLocal>(route_http("GET", "/health", {})), HttpLocal::Health);
  EXPECT_EQ(std::get<HttpLocal>(route_http("GET", "/metrics", {})), HttpLocal::Metrics);
  EXPECT_EQ(std::get<HttpLocal>(route_http("POST", "/admin", {})), HttpLocal::Admin);
  EXPECT_EQ(std::get<HttpLocal>(route_http("GET", "/admin", {})), HttpLocal::Admin) << "/admin answers a wrong method itself";
}

TEST(HttpRoutes, QueryParamDecodesEscapesAndLeavesBadOnesAlone) {
  EXPECT_EQ(query_param("a=1&b=%2B08%3a00", "b"), "+08:00");
  EXPECT_EQ(query_param("a=1&b=2", "c"), "");
  EXPECT_EQ(query_param("a&b=2", "a"), "");
  EXPECT_EQ(query_param("b=%zz%4", "b"), "%zz%4");
  EXPECT_EQ(query_param("ab=1&b=2", "b"), "2");
}

// A participant's own state (API.md §6.13): parameters out of range are refused, never clamped; every
// one of these queries carries an asker the signature fills in.
TEST(HttpRoutes, ParticipantQueriesRefuseWhatIsOutOfRange) {
  const auto open = query_of<query::OwnOrders>("GET", "/orders?symbol=NX.H20");
  EXPECT_TRUE(open.open_only);
  EXPECT_EQ(open.symbol, "NX.H20");
  EXPECT_EQ(open.who.about, "");
  const auto all = query_of<query::OwnOrders>("GET", "/orders?status=all&before=90&limit=7&participant=BJAI");
  EXPECT_FALSE(all.open_only);
  EXPECT_EQ(all.before, 90u);
  EXPECT_EQ(all.limit, 7u);
  EXPECT_EQ(all.who.about, "BJAI");
  EXPECT_EQ(query_of<query::OwnOrder>("GET", "/orders/12").order_id, 12u);
  EXPECT_EQ(query_of<query::OwnOrder>("GET", "/orders?cl_ord_id=a%2Bb").cl_ord_id, "a+b");
  const auto fills = query_of<query::OwnFills>("GET", "/fills?after=5&from=2026-12-01&limit=1000");
  EXPECT_EQ(fills.after, 5u);
  EXPECT_EQ(fills.limit, 1000u);
  EXPECT_EQ(fills.from, *parse_iso_time("2026-12-01"));
  query_of<query::OwnBalances>("GET", "/balances");
  for (const char* bad : {"/orders?status=closed", "/orders?limit=0", "/orders?limit=1001", "/orders?before=-1",
                          "/orders/abc", "/orders/0", "/orders/99999999999999999999", "/fills?limit=5000", "/fills?after=x",
                          "/fills?from=yesterday", "/fills?from=2026-12-02&to=2026-12-01"}) {
    EXPECT_EQ(refusal_of("GET", bad).status, 400) << bad;
  }
  HttpRoute r = route_http("GET", "/balances", {});
  ASSERT_TRUE(std::holds_alternative<query::Query>(r));
  EXPECT_NE(asker_of(std::get<query::Query>(r)), nullptr);
  HttpRoute pub = route_http("GET", "/instruments", {});
  EXPECT_EQ(asker_of(std::get<query::Query>(pub)), nullptr) << "public data needs no signature";
}

}  // namespace
}  // namespace cpx::web
