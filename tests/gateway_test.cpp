// Integration tests of cpxd's gateways against one running server (shared by every test: QuickFIX
// acceptors and initiators take about a second to stop): a real Boost.Beast WebSocket client, plain and
// TLS, a real QuickFIX initiator, and plain HTTP. Orders, acks, fills and market data; auth failures;
// roles; bad input while another client keeps trading; cancel-on-disconnect; routed orders over both.
#include <utility>  // before Asio (Boost 1.74)

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "auth/request_auth.hpp"
#include "cpx/fixed_point.hpp"
#include "cpx/time.hpp"
#include "fix/fix_api.hpp"
#include "fix/fix_server.hpp"
#include "json/config_loader.hpp"
#include "server/demo_market.hpp"
#include "server/self_signed.hpp"
#include "server/server_core.hpp"
#include "web/web_gateway.hpp"

namespace cpx::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using nlohmann::json;

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

int64_t now_ns() { return server::wall_clock(); }

std::string nonce() {
  static std::mt19937_64 rng(std::random_device{}());
  return "n" + std::to_string(rng());
}

std::string cst_date(Timestamp t) { return format_iso_time(t).substr(0, 10); }

// Routed orders (docs/PRODUCT.md §3.2) get H100 books on two delivery days no other test trades: day 5 for the
// WebSocket test, day 6 for the FIX tests (days counted from tomorrow = day 0; the demo lists days 0-2).
// NMDC sells in NM (its demo registration covers these days), ALICLOUD in GS (registered here). Each
// routed test then sweeps exactly these offers, whatever the other tests did.
constexpr int kRouteWsDay = 5, kRouteFixDay = 6;

std::vector<std::string> route_requests(Timestamp now) {
  const Timestamp tomorrow = server::demo_first_day(now);
  const auto day = [&](int d) { return cst_date(tomorrow + d * kNanosPerDay); };
  std::vector<std::string> r;
  r.push_back(R"({"cmd":"register_capacity","participant":"OPS1","supplier":"ALICLOUD","region":"GS","class":"H100","from":")" +
              day(kRouteWsDay) + R"(","to":")" + day(kRouteFixDay + 1) + R"(","devices":64})");
  const auto offer = [&](const char* who, const std::string& symbol, const std::string& cl, const char* price, int qty) {
    r.push_back(std::string(R"({"cmd":"new_order","participant":")") + who + R"(","cl_ord_id":")" + cl + R"(","symbol":")" +
                symbol + R"(","side":"sell","price":")" + price + R"(","qty":)" + std::to_string(qty) + "}");
  };
  for (int d : {kRouteWsDay, kRouteFixDay}) {
    for (const char* region : {"NM", "GS"}) {
      r.push_back(std::string(R"({"cmd":"list_instrument","participant":"OPS1","symbol":")") + region + ".H100.D." +
                  day(d) + R"(","tick":"0.01","lot":1,"max_order_qty":2048})");
    }
  }
  const std::string ws = day(kRouteWsDay), fx = day(kRouteFixDay);
  offer("NMDC", "NM.H100.D." + ws, "rt-ws-n1", "18.00", 4);
  offer("NMDC", "NM.H100.D." + ws, "rt-ws-n2", "18.50", 4);
  offer("ALICLOUD", "GS.H100.D." + ws, "rt-ws-g1", "17.00", 3);
  offer("NMDC", "NM.H100.D." + fx, "rt-fx-n1", "18.20", 4);
  offer("NMDC", "NM.H100.D." + fx, "rt-fx-n2", "18.60", 4);
  offer("ALICLOUD", "GS.H100.D." + fx, "rt-fx-g1", "17.10", 2);
  return r;
}

// The one server of this test binary.
struct Server {
  Server() {
    dir = fs::temp_directory_path() / ("cpx-gw-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    config.data_dir = dir.string();
    config.http_port = 0;
    config.https_port = 0;
    config.fix_port = free_port();
    config.fix_tls_port = free_port();
    config.fix_sessions = {{"BJAI", "BJAI"}, {"NMDC", "NMDC"}, {"BAD", "BJAI"}, {"JUNK", "BJAI"}, {"SLOW", "SZAUTO"},
                           {"BJAI2", "BJAI"}, {"DROP", "OPS1", true}, {"DROPB", "BJAI", true}};
    config.fix_max_queued_messages = 1000;  // the slow-consumer test's FIX client falls this far behind
    config.ws_write_timeout_ms = 6000;      // the stuck-writer test waits this long; the slow-consumer test's
                                            // flood (1-3 s) finishes well before
    config.requests_per_s = 2000;  // the junk test's 6,000 commands fit the burst; the rate test's 9,000 do not
    config.burst = 7000;
    config.snapshot_every = 0;
    server::fill_defaults(config);
    EXPECT_TRUE(server::ensure_self_signed(config.tls_cert, config.tls_key).ok());
    std::string log;
    auto opened = server::ServerCore::open(config, log);
    EXPECT_TRUE(opened.ok());
    core = std::move(*opened);
    web = std::make_unique<web::WebGateway>(*core);
    fix = std::make_unique<fix::FixServer>(*core);
    core->start();
    auto reference = api::load_reference_requests(config.reference_dir);
    EXPECT_TRUE(reference.ok());
    EXPECT_TRUE(core->run_admin_requests(*reference).ok());
    auto network = api::load_network_requests(config.reference_dir);
    EXPECT_TRUE(network.ok());
    EXPECT_TRUE(core->run_admin_requests(*network).ok());
    const int64_t seeded_at = now_ns();
    auto seeded = core->run_admin_requests(server::demo_requests(seeded_at));
    EXPECT_TRUE(seeded.ok()) << (seeded.ok() ? "" : seeded.error().text);
    auto routed = core->run_admin_requests(route_requests(seeded_at));
    EXPECT_TRUE(routed.ok()) << (routed.ok() ? "" : routed.error().text);
    route_day_start = server::demo_first_day(seeded_at) + kRouteWsDay * kNanosPerDay;
    for (const auto& u : server::demo_users()) {
      if (u.participant == "BJAI" || u.participant == "NMDC" || u.participant == "OPS1" || u.participant == "SHRENDER" ||
          u.participant == "SZAUTO") {
        EXPECT_TRUE(core->users().put(u.username, u.participant, u.password, u.api_key, u.api_secret).ok());
      }
    }
    EXPECT_TRUE(web->start().ok());
    auto f = fix->start();
    EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().text);
    symbols = server::demo_symbols(seeded_at);
  }
  ~Server() {
    fix->stop();
    web->stop();
    core->stop();
    fs::remove_all(dir);
  }
  fs::path dir;
  server::ServerConfig config;
  std::unique_ptr<server::ServerCore> core;
  std::unique_ptr<web::WebGateway> web;
  std::unique_ptr<fix::FixServer> fix;
  std::vector<std::string> symbols;
  Timestamp route_day_start = 0;  // the WebSocket routed test's delivery day (CST midnight); the FIX one's is next
};

Server& server() {
  static Server s;
  return s;
}

// ---- HTTP ----
struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply http_request(http::verb verb, const std::string& target, const std::string& body = {},
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server().web->port())));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "localhost");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return {static_cast<int>(res.result_int()), res.body()};
}

HttpReply admin_request(const std::string& key, const std::string& secret, const std::string& body) {
  const int64_t ts = now_ns();
  const std::string n = nonce();
  return http_request(http::verb::post, "/admin", body,
                      {{"X-CPX-Key", key},
                       {"X-CPX-Timestamp", std::to_string(ts)},
                       {"X-CPX-Nonce", n},
                       {"X-CPX-Signature", auth::sign_request(secret, ts, n, "POST /admin\n" + body)}});
}

HttpReply signed_get(const std::string& key, const std::string& secret, const std::string& target) {
  const int64_t ts = now_ns();
  const std::string n = nonce();
  return http_request(http::verb::get, target, {},
                      {{"X-CPX-Key", key},
                       {"X-CPX-Timestamp", std::to_string(ts)},
                       {"X-CPX-Nonce", n},
                       {"X-CPX-Signature", auth::sign_request(secret, ts, n, "GET " + target + "\n")}});
}

// ---- WebSocket ----
template <class Stream>
class WsClient {
 public:
  // rcvbuf > 0: the socket's receive buffer, set before connecting (a client that reads little).
  explicit WsClient(int rcvbuf = 0);
  ~WsClient() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }
  void send(const std::string& text) { ws_.write(net::buffer(text)); }
  // Reads until a message satisfies `pred` (returns it) or the timeout passes (returns null).
  json read_until(const std::function<bool(const json&)>& pred, int timeout_ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      json m = read(deadline);
      if (m.is_null()) return m;
      seen.push_back(m);
      if (pred(m)) return m;
    }
    return json();
  }
  // Sync reads ignore Beast's timeouts: read asynchronously and run the context until the deadline.
  json read(std::chrono::steady_clock::time_point deadline) {
    beast::flat_buffer buffer;
    bool done = false;
    beast::error_code ec;
    ws_.async_read(buffer, [&](beast::error_code e, size_t) {
      ec = e;
      done = true;
    });
    ioc_.restart();
    ioc_.run_until(deadline);
    if (!done) {
      beast::get_lowest_layer(ws_).cancel();
      ioc_.restart();
      ioc_.run();
      closed_reason = "timeout";
      return json();
    }
    if (ec) {
      closed_reason = ec.message();
      return json();
    }
    return json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
  }
  // Subscribes to a channel and returns the "subscribed" answer (null when none came).
  json subscribe(const std::string& channel) {
    send(json{{"op", "subscribe"}, {"channel", channel}}.dump());
    return read_until([](const json& m) { return m.value("ev", "") == "subscribed"; });
  }
  json login(const std::string& key, const std::string& secret) {
    const int64_t ts = now_ns();
    const std::string n = nonce();
    send(json{{"op", "login"}, {"key", key}, {"ts", ts}, {"nonce", n}, {"sig", auth::sign_request(secret, ts, n, "login")}}.dump());
    return read_until([](const json& m) { return m.value("ev", "") == "login" || m.value("ev", "") == "error"; });
  }
  int close_code() const { return static_cast<int>(ws_.reason().code); }
  // Bytes straight onto the socket (frames the test builds itself).
  void send_raw(const std::string& bytes) { net::write(beast::get_lowest_layer(ws_).socket(), net::buffer(bytes)); }
  // Counts the pongs Beast reads for us (control frames do not surface as messages).
  void count_pongs(int& n) {
    ws_.control_callback([&n](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) ++n;
    });
  }
  std::vector<json> seen;
  std::string closed_reason;

 private:
  net::io_context ioc_;
  ssl::context ctx_{ssl::context::tls_client};
  websocket::stream<Stream> ws_;
};

template <>
WsClient<beast::tcp_stream>::WsClient(int rcvbuf) : ws_(ioc_) {
  if (rcvbuf > 0) {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.open(tcp::v4());
    socket.set_option(net::socket_base::receive_buffer_size(rcvbuf));
  }
  beast::get_lowest_layer(ws_).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server().web->port())));
  ws_.handshake("localhost", "/ws");
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
template <>
WsClient<TlsStream>::WsClient(int) : ws_(ioc_, ctx_) {
  // The server's certificate is the self-signed one the test made: trust exactly it.
  ctx_.load_verify_file(server().config.tls_cert);
  ctx_.set_verify_mode(ssl::verify_peer);
  beast::get_lowest_layer(ws_).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server().web->tls_port())));
  ws_.next_layer().handshake(ssl::stream_base::client);
  ws_.handshake("localhost", "/ws");
}

using Ws = WsClient<beast::tcp_stream>;

bool is_ev(const json& m, const char* ev) { return m.is_object() && m.value("ev", "") == ev; }

// ---- FIX ----
fixapi::FixClientSettings fix_settings(const std::string& comp_id, const std::string& user, const std::string& password,
                                       bool tls = false) {
  fixapi::FixClientSettings s;
  s.port = tls ? server().config.fix_tls_port : server().config.fix_port;
  s.tls = tls;
  s.ca_file = tls ? server().config.tls_cert : "";
  s.sender_comp_id = comp_id;
  s.target_comp_id = tls ? "CPXS" : "CPX";
  s.username = user;
  s.password = password;
  s.dictionary = server().config.fix_dictionary;
  return s;
}

bool next_of(fixapi::FixClient& c, const std::function<bool(const fixapi::FixMessage&)>& pred, fixapi::FixMessage& out,
             int timeout_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (!c.next(out, std::max(left, 1))) return false;
    if (pred(out)) return true;
  }
  return false;
}

// An OrderCancelRequest (F) of a buy by its client id.
fixapi::FixMessage cancel_request(const std::string& orig, const std::string& cl, const std::string& symbol) {
  fixapi::FixMessage m;
  m.msg_type = "F";
  m.set(41, orig);
  m.set(11, cl);
  m.set(55, symbol);
  m.set(54, "1");
  m.set(60, "20261125-00:00:00.000");
  return m;
}

fixapi::FixMessage new_order(const std::string& cl, const std::string& symbol, char side, const std::string& qty,
                             const std::string& price, const std::string& tif = "1") {
  fixapi::FixMessage m;
  m.msg_type = "D";
  m.set(11, cl);
  m.set(55, symbol);
  m.set(54, std::string(1, side));
  m.set(60, "20261125-00:00:00.000");
  m.set(38, qty);
  m.set(40, "2");
  m.set(44, price);
  m.set(59, tif);
  return m;
}

// =====================================================================================================

TEST(Gateway, HttpReadEndpointsAnswerFromTheEngine) {
  auto health = http_request(http::verb::get, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("\"status\":\"ok\""), std::string::npos);
  EXPECT_NE(health.body.find("\"ready\":true"), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"role\":\"single\""), std::string::npos) << health.body;
  const Timestamp asked_at = now_ns();
  auto time = json::parse(http_request(http::verb::get, "/time").body);
  EXPECT_EQ(time["ev"], "time");
  EXPECT_GE(time["server_time_ns"].get<int64_t>(), asked_at);
  EXPECT_LT(time["server_time_ns"].get<int64_t>(), asked_at + 60 * kNanosPerSecond);
  EXPECT_GT(time["exchange_time_ns"].get<int64_t>(), 0);
  EXPECT_EQ(parse_iso_time(time["exchange_time"].get<std::string>()), time["exchange_time_ns"].get<int64_t>());
  auto instruments = json::parse(http_request(http::verb::get, "/instruments").body);
  ASSERT_TRUE(instruments.contains("instruments"));
  EXPECT_GE(instruments["instruments"].size(), 18u);
  auto book = json::parse(http_request(http::verb::get, "/book/" + server().symbols[0] + "?depth=2").body);
  EXPECT_EQ(book["symbol"], server().symbols[0]);
  EXPECT_EQ(book["asks"].size(), 2u) << "depth limits the levels";
  auto unknown = http_request(http::verb::get, "/book/NM.H100.D.2031-01-01");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body)["reason"], "unknown_instrument");
  auto metrics = http_request(http::verb::get, "/metrics");
  EXPECT_NE(metrics.body.find("cpx_journal_fsyncs_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("cpx_request_durable_seconds_bucket"), std::string::npos);
  EXPECT_EQ(http_request(http::verb::get, "/nope").status, 404);
  auto network = json::parse(http_request(http::verb::get, "/network").body);
  ASSERT_EQ(network["links"].size(), 56u) << "config/network.json: eight hubs, every ordered pair";
  EXPECT_EQ(network["links"][0]["from"], "JJJ");
  EXPECT_EQ(network["links"][0]["to"], "YRD");
  EXPECT_EQ(network["links"][0]["tariff_cny_per_gb"], "0.0275");
  EXPECT_EQ(network["links"][0]["carrier"], "CUNET");
}

TEST(Gateway, WebSocketOrderAckFillAndMarketData) {
  const std::string sym = server().symbols[2];  // NX.H20 tomorrow
  Ws buyer, seller, watcher;
  ASSERT_TRUE(is_ev(buyer.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_TRUE(is_ev(seller.login("key-nmdc", "secret-nmdc"), "login"));
  ASSERT_TRUE(is_ev(watcher.login("key-shrender", "secret-shrender"), "login"));
  watcher.send(json{{"op", "subscribe"}, {"channel", "book." + sym}, {"depth", 5}, {"id", 7}}.dump());
  json sub = watcher.read_until([](const json& m) { return is_ev(m, "subscribed"); });
  ASSERT_TRUE(sub.contains("snapshot"));
  EXPECT_EQ(sub["id"], 7);
  ASSERT_FALSE(watcher.subscribe("trades").is_null());

  // ALICLOUD offers NX.H20 from 4.10; BJAI lifts 5 devices at 4.10.
  buyer.send(R"({"cmd":"new_order","cl_ord_id":"ws-b1","symbol":")" + sym + R"(","side":"buy","price":"4.10","qty":5})");
  json acc = buyer.read_until([](const json& m) { return is_ev(m, "accepted") || is_ev(m, "error") || is_ev(m, "rejected"); });
  ASSERT_TRUE(is_ev(acc, "accepted")) << acc.dump();
  EXPECT_EQ(acc["cl_ord_id"], "ws-b1");
  json fill = buyer.read_until([](const json& m) { return is_ev(m, "trade"); });
  ASSERT_FALSE(fill.is_null());
  EXPECT_EQ(fill["qty"], 5);
  EXPECT_EQ(fill["price"], "4.1000");
  // Market data: the level change and the anonymous print.
  // The print comes first (trades are published as they happen, level changes at the end of the command).
  json print = watcher.read_until([](const json& m) { return is_ev(m, "trade"); });
  ASSERT_FALSE(print.is_null());
  EXPECT_TRUE(print["seq"].is_number_unsigned()) << "public channel messages are numbered: " << print.dump();
  json change = watcher.read_until([&](const json& m) { return is_ev(m, "book_change") && m["price"] == "4.1000"; });
  ASSERT_FALSE(change.is_null());
  EXPECT_FALSE(print.contains("buyer")) << "public prints name no one";
  // HTTP sees the trade too.
  auto trades = json::parse(http_request(http::verb::get, "/trades?symbol=" + sym).body);
  ASSERT_FALSE(trades["trades"].empty());
  EXPECT_EQ(trades["trades"].back()["qty"], 5);

  // Cancel by client id; the same id again is free once the order is closed.
  buyer.send(R"({"cmd":"new_order","cl_ord_id":"ws-b2","symbol":")" + sym + R"(","side":"buy","price":"3.50","qty":1})");
  ASSERT_FALSE(buyer.read_until([](const json& m) { return is_ev(m, "accepted") && m["cl_ord_id"] == "ws-b2"; }).is_null());
  buyer.send(R"({"cmd":"new_order","cl_ord_id":"ws-b2","symbol":")" + sym + R"(","side":"buy","price":"3.40","qty":1})");
  json dup = buyer.read_until([](const json& m) { return is_ev(m, "error"); });
  EXPECT_EQ(dup["reason"], "duplicate_cl_ord_id");
  buyer.send(R"({"cmd":"cancel","orig_cl_ord_id":"ws-b2"})");
  json done = buyer.read_until([](const json& m) { return is_ev(m, "cancelled"); });
  ASSERT_FALSE(done.is_null()) << "cancel by orig_cl_ord_id";
  // A session acts for its own participant only, and cannot move the clock.
  buyer.send(R"({"cmd":"cancel","participant":"NMDC","order_id":1})");
  EXPECT_EQ(buyer.read_until([](const json& m) { return is_ev(m, "error"); })["reason"], "not_owner");
  buyer.send(R"({"cmd":"advance_time","ts":"2030-01-01"})");
  EXPECT_EQ(buyer.read_until([](const json& m) { return is_ev(m, "error"); })["reason"], "not_allowed");
}

// Feeds a client can check (docs/API.md §4.3): a seeded random stream of orders, cancels and crossing
// orders on one book. The watcher rebuilds the book from its subscription's snapshot and the numbered
// book_change messages, checking that the numbers have no gap; after every step its book equals GET /book at
// the number that answer says it reflects. Then, with the book quiet, the heartbeat carries that number.
TEST(Gateway, BookRebuiltFromSnapshotAndNumberedDeltasEqualsTheServers) {
  const std::string sym = server().symbols[4];  // GS.CPU tomorrow: NMDC sells, BJAI buys
  Ws buyer, seller, watcher;
  ASSERT_TRUE(is_ev(buyer.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_TRUE(is_ev(seller.login("key-nmdc", "secret-nmdc"), "login"));
  ASSERT_TRUE(is_ev(watcher.login("key-shrender", "secret-shrender"), "login"));
  const json sub = watcher.subscribe("book." + sym);
  ASSERT_TRUE(sub.contains("snapshot")) << sub.dump();
  ASSERT_EQ(sub["snapshot"]["complete"], true) << "without a depth the snapshot is the whole book";
  uint64_t seq = sub["seq"].get<uint64_t>();
  EXPECT_EQ(sub["snapshot"]["seq"], seq);
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> book;  // (side, price) -> qty, orders
  const auto load = [](const json& b) {
    std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> out;
    for (const char* side : {"bids", "asks"}) {
      for (const json& l : b[side]) {
        out[{side == std::string("bids") ? "bid" : "ask", l["price"]}] = {l["qty"].get<int64_t>(), l["orders"].get<int64_t>()};
      }
    }
    return out;
  };
  book = load(sub["snapshot"]);
  const auto catch_up = [&](uint64_t target) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (seq < target) {
      json m = watcher.read(deadline);
      ASSERT_FALSE(m.is_null()) << "book_change " << seq + 1 << " never came: " << watcher.closed_reason;
      if (!is_ev(m, "book_change")) continue;
      ASSERT_EQ(m["seq"].get<uint64_t>(), seq + 1) << "a gap in the book channel: " << m.dump();
      ++seq;
      const std::pair<std::string, std::string> key{m["side"], m["price"]};
      if (m["qty"].get<int64_t>() == 0) {
        book.erase(key);
      } else {
        book[key] = {m["qty"].get<int64_t>(), m["orders"].get<int64_t>()};
      }
    }
  };
  std::mt19937 rng(20261207);
  std::vector<std::pair<Ws*, std::string>> placed;
  int changes_seen = 0;
  for (int step = 0; step < 80; ++step) {
    const unsigned r = rng() % 10;
    Ws* actor = nullptr;
    if (r < 8 || placed.empty()) {
      const bool buy = r % 2 == 0;
      actor = buy ? &buyer : &seller;
      const std::string cl = "bk-" + std::to_string(step);
      const int64_t cents = (buy ? 100 : 110) + 2 * static_cast<int64_t>(rng() % 12);  // some cross
      actor->send(json{{"cmd", "new_order"}, {"cl_ord_id", cl}, {"symbol", sym}, {"side", buy ? "buy" : "sell"},
                       {"price", format_fixed(cents, 2)}, {"qty", 1 + static_cast<int>(rng() % 4)}}.dump());
      placed.emplace_back(actor, cl);
    } else {
      const auto [who, cl] = placed[rng() % placed.size()];
      actor = who;
      actor->send(json{{"cmd", "cancel"}, {"orig_cl_ord_id", cl}}.dump());  // may be filled already: an error
    }
    json answer = actor->read_until([](const json& m) {
      return is_ev(m, "accepted") || is_ev(m, "rejected") || is_ev(m, "error") || is_ev(m, "cancelled");
    });
    ASSERT_FALSE(answer.is_null()) << "step " << step;
    const auto reply = http_request(http::verb::get, "/book/" + sym + "?depth=1000");
    ASSERT_EQ(reply.status, 200) << reply.body;
    const json server_book = json::parse(reply.body);
    ASSERT_EQ(server_book["complete"], true);
    const uint64_t target = server_book["seq"].get<uint64_t>();
    ASSERT_GE(target, seq) << "GET /book is never behind what the feed delivered";
    changes_seen += static_cast<int>(target - seq);
    catch_up(target);
    if (HasFatalFailure()) return;
    ASSERT_EQ(book, load(server_book)) << "step " << step << " at seq " << seq << ": " << server_book.dump();
  }
  EXPECT_GT(changes_seen, 40) << "the stream changed the book";
  // Nothing more happens on this book: a heartbeat comes within the interval (1 s) and names its number.
  json beat = watcher.read_until([](const json& m) { return is_ev(m, "heartbeat"); }, 3000);
  ASSERT_FALSE(beat.is_null()) << "no heartbeat on a quiet subscribed session";
  EXPECT_EQ(beat["seq"]["book." + sym], seq) << beat.dump();
  EXPECT_TRUE(beat.contains("ts"));
}

// docs/API.md §6.3: the events a request causes reach the requesting session with the request's "id"; the
// participant's feeds get the same events without it.
TEST(Gateway, EngineEventsEchoTheRequestIdToTheRequesterOnly) {
  const std::string sym = server().symbols[2];  // NX.H20 tomorrow: offers from 4.10
  Ws buyer, feed;
  ASSERT_TRUE(is_ev(buyer.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_TRUE(is_ev(feed.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_FALSE(feed.subscribe("orders").is_null());
  buyer.send(json{{"cmd", "new_order"}, {"cl_ord_id", "rid-1"}, {"symbol", sym}, {"side", "buy"}, {"price", "3.00"},
                  {"qty", 1}, {"id", 42}}.dump());
  const json acc = buyer.read_until([](const json& m) { return is_ev(m, "accepted") && m["cl_ord_id"] == "rid-1"; });
  ASSERT_FALSE(acc.is_null());
  EXPECT_EQ(acc["id"], 42);
  const json copy = feed.read_until([](const json& m) { return is_ev(m, "accepted") && m["cl_ord_id"] == "rid-1"; });
  ASSERT_FALSE(copy.is_null());
  EXPECT_FALSE(copy.contains("id")) << copy.dump();
  // A session that subscribes to "orders" now starts from the participant's open orders (docs/API.md §6.5).
  Ws late;
  ASSERT_TRUE(is_ev(late.login("key-bjai", "secret-bjai"), "login"));
  const json sub = late.subscribe("orders");
  ASSERT_TRUE(sub.contains("snapshot")) << sub.dump();
  EXPECT_EQ(sub["snapshot"]["status"], "open");
  bool listed = false;
  for (const json& o : sub["snapshot"]["orders"]) listed = listed || o["cl_ord_id"] == "rid-1";
  EXPECT_TRUE(listed) << sub.dump();
  EXPECT_FALSE(sub.contains("seq")) << "private feeds are not numbered";
  buyer.send(json{{"cmd", "cancel"}, {"orig_cl_ord_id", "rid-1"}, {"id", "c-7"}}.dump());
  const json done = buyer.read_until([](const json& m) { return is_ev(m, "cancelled") && m["cl_ord_id"] == "rid-1"; });
  ASSERT_FALSE(done.is_null());
  EXPECT_EQ(done["id"], "c-7");
  const json feed_done = feed.read_until([](const json& m) { return is_ev(m, "cancelled") && m["cl_ord_id"] == "rid-1"; });
  ASSERT_FALSE(feed_done.is_null());
  EXPECT_FALSE(feed_done.contains("id"));
}

TEST(Gateway, EveryWebSocketAuthFailureHasItsReason) {
  {
    Ws c;
    c.send(R"({"cmd":"new_order"})");
    EXPECT_EQ(c.read_until([](const json& m) { return is_ev(m, "error"); })["reason"], "not_authenticated");
  }
  {
    Ws c;
    EXPECT_EQ(c.login("key-nobody", "x")["reason"], "unknown_api_key");
  }
  {
    Ws c;
    EXPECT_EQ(c.login("key-bjai", "wrong-secret")["reason"], "bad_signature");
  }
  {
    Ws c;
    const int64_t ts = now_ns() - 60'000'000'000;
    c.send(json{{"op", "login"}, {"key", "key-bjai"}, {"ts", ts}, {"nonce", "old"}, {"sig", auth::sign_request("secret-bjai", ts, "old", "login")}}.dump());
    EXPECT_EQ(c.read_until([](const json& m) { return is_ev(m, "error"); })["reason"], "stale_timestamp");
  }
  {
    const int64_t ts = now_ns();
    const std::string msg = json{{"op", "login"}, {"key", "key-bjai"}, {"ts", ts}, {"nonce", "once-only"},
                                 {"sig", auth::sign_request("secret-bjai", ts, "once-only", "login")}}.dump();
    Ws a, b;
    a.send(msg);
    ASSERT_TRUE(is_ev(a.read_until([](const json& m) { return m.contains("ev"); }), "login"));
    b.send(msg);
    EXPECT_EQ(b.read_until([](const json& m) { return is_ev(m, "error"); })["reason"], "replayed_nonce");
  }
  {
    Ws c;
    const int64_t ts = now_ns();
    c.send(json{{"op", "login"}, {"key", "key-bjai"}, {"ts", ts}, {"nonce", ""}, {"sig", "00"}}.dump());
    EXPECT_EQ(c.read_until([](const json& m) { return is_ev(m, "error"); })["reason"], "malformed_nonce");
  }
  auto metrics = http_request(http::verb::get, "/metrics").body;
  EXPECT_NE(metrics.find("cpx_auth_failures_total"), std::string::npos);
}

TEST(Gateway, RolesAreCheckedServerSide) {
  Ws buyer;
  ASSERT_TRUE(is_ev(buyer.login("key-bjai", "secret-bjai"), "login"));
  buyer.send(R"({"cmd":"halt","symbol":")" + server().symbols[0] + R"("})");
  json r = buyer.read_until([](const json& m) { return is_ev(m, "rejected") || is_ev(m, "error"); });
  EXPECT_EQ(r["reason"], "role_missing") << r.dump();
  buyer.send(R"({"cmd":"new_order","cl_ord_id":"sell-as-buyer","symbol":")" + server().symbols[0] + R"(","side":"sell","price":"30.00","qty":1})");
  r = buyer.read_until([](const json& m) { return is_ev(m, "rejected") || is_ev(m, "error"); });
  EXPECT_EQ(r["reason"], "role_missing") << r.dump();
  // The admin endpoint: operators only.
  const std::string body = R"({"cmd":"deposit","target":"SHRENDER","amount":"100.00"})";
  auto refused = admin_request("key-bjai", "secret-bjai", body);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("role_missing"), std::string::npos) << refused.body;
  auto unsigned_req = http_request(http::verb::post, "/admin", body);
  EXPECT_EQ(unsigned_req.status, 401);
  auto ok = admin_request("key-ops1", "secret-ops1", body);
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("\"deposit\""), std::string::npos) << ok.body;
  // The audit log has the logins and the operator's request, and its chain verifies.
  const auth::AuditVerdict v = auth::AuditLog::verify(server().core->audit_path());
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_GT(v.entries, 3u);
}

TEST(Gateway, JunkFromOneClientNeitherCrashesNorDisturbsAnother) {
  const std::string sym = server().symbols[4];  // GS.CPU tomorrow
  Ws junk, good;
  ASSERT_TRUE(is_ev(junk.login("key-shrender", "secret-shrender"), "login"));
  ASSERT_TRUE(is_ev(good.login("key-bjai", "secret-bjai"), "login"));
  const std::vector<std::string> kinds = {
      "{not json",
      "[1,2,3]",
      R"({"cmd":"new_order","symbol":")" + sym + R"(","side":"buy","price":1.5,"qty":1})",
      R"({"cmd":"new_order","symbol":"XX.NOPE.D.2026-12-01","side":"buy","price":"1.00","qty":1})",
      R"({"cmd":"new_order","symbol":"garbage","side":"buy","price":"1.00","qty":1})",
      R"({"cmd":"new_order","symbol":")" + sym + R"(","side":"sideways","price":"1.00","qty":1})",
      R"({"cmd":"new_order","symbol":")" + sym + R"(","side":"buy","price":"1.00","qty":"1"})",
      R"({"cmd":"explode"})",
      R"({"op":42})",
      std::string(70000, 'x'),
  };
  const int kJunk = 10000;
  for (int i = 0; i < kJunk; ++i) junk.send(kinds[static_cast<size_t>(i) % kinds.size()]);
  // Meanwhile the other client trades normally.
  for (int i = 0; i < 20; ++i) {
    good.send(R"({"cmd":"new_order","cl_ord_id":"g)" + std::to_string(i) + R"(","symbol":")" + sym +
              R"(","side":"buy","price":"1.00","qty":1,"tif":"ioc"})");
  }
  int good_answers = 0;
  good.read_until([&](const json& m) {
    if (is_ev(m, "done") || is_ev(m, "cancelled") || is_ev(m, "trade") || is_ev(m, "expired")) ++good_answers;
    return good_answers >= 20;
  }, 10000);
  EXPECT_GE(good_answers, 20);
  std::map<std::string, int> reasons;
  int errors = 0;
  junk.read_until([&](const json& m) {
    if (is_ev(m, "error")) {
      ++errors;
      ++reasons[m.value("reason", "")];
    }
    return errors >= kJunk;
  }, 30000);
  EXPECT_EQ(errors, kJunk) << "every junk message gets its own specific error";
  for (const char* r : {"malformed_request", "unknown_instrument", "bad_symbol"}) EXPECT_GT(reasons[r], 0) << r;
  for (const auto& [reason, n] : reasons) EXPECT_FALSE(reason.empty());
  EXPECT_EQ(http_request(http::verb::get, "/health").status, 200);
}

TEST(Gateway, RateLimitPerApiKeyAndPrivateFeeds) {
  Ws flood, feed, other;
  ASSERT_TRUE(is_ev(flood.login("key-szauto", "secret-szauto"), "login"));
  ASSERT_TRUE(is_ev(feed.login("key-szauto", "secret-szauto"), "login"));
  ASSERT_TRUE(is_ev(other.login("key-bjai", "secret-bjai"), "login"));
  // A second session of the same participant subscribed to its orders feed sees what the first one does.
  ASSERT_FALSE(feed.subscribe("orders").is_null());
  flood.send(R"({"cmd":"new_order","cl_ord_id":"feed-1","symbol":")" + server().symbols[3] +
             R"(","side":"buy","price":"20.00","qty":1})");
  ASSERT_TRUE(is_ev(flood.read_until([](const json& m) { return is_ev(m, "accepted") || is_ev(m, "error") || is_ev(m, "rejected"); }), "accepted"));
  json seen = feed.read_until([](const json& m) { return is_ev(m, "accepted"); });
  EXPECT_EQ(seen["cl_ord_id"], "feed-1") << "the orders feed carries the other session's order";
  // 9,000 requests at once: the burst (7,000) goes through, the rest is refused as rate_limited.
  const int kFlood = 9000;
  for (int i = 0; i < kFlood; ++i) flood.send(R"({"cmd":"cancel","order_id":999999999})");
  int answers = 0, limited = 0;
  flood.read_until([&](const json& m) {
    if (is_ev(m, "error") || is_ev(m, "rejected")) {
      ++answers;
      if (m.value("reason", "") == "rate_limited") ++limited;
    }
    return answers >= kFlood;
  }, 30000);
  EXPECT_EQ(answers, kFlood);
  EXPECT_GT(limited, 500);
  EXPECT_LT(limited, kFlood - 6000);
  // The limit is per API key: another key is not affected.
  other.send(R"({"cmd":"cancel","order_id":999999999})");
  EXPECT_EQ(other.read_until([](const json& m) { return is_ev(m, "rejected") || is_ev(m, "error"); })["reason"], "unknown_order");
}

TEST(Gateway, WebSocketCancelOnDisconnectAndTls) {
  const std::string sym = server().symbols[5];  // YRD.L40S tomorrow
  // Another session of the participant, on its orders feed, sees the cancel when it happens.
  Ws watcher;
  ASSERT_TRUE(is_ev(watcher.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_FALSE(watcher.subscribe("orders").is_null());
  {
    WsClient<TlsStream> c;
    ASSERT_TRUE(is_ev(c.login("key-bjai", "secret-bjai"), "login"));
    c.send(R"({"op":"ping","id":"p1"})");
    EXPECT_EQ(c.read_until([](const json& m) { return is_ev(m, "pong"); })["id"], "p1");
    c.send(R"({"cmd":"new_order","cl_ord_id":"cod-1","symbol":")" + sym + R"(","side":"buy","price":"7.30","qty":3})");
    ASSERT_TRUE(is_ev(c.read_until([](const json& m) { return is_ev(m, "accepted") || is_ev(m, "error"); }), "accepted"));
    auto book = json::parse(http_request(http::verb::get, "/book/" + sym).body);
    EXPECT_EQ(book["bids"][0]["price"], "7.3000");
  }
  // The TLS session is gone: its order is cancelled.
  ASSERT_FALSE(watcher.read_until([](const json& m) { return is_ev(m, "cancelled") && m["cl_ord_id"] == "cod-1"; }).is_null());
  auto book = json::parse(http_request(http::verb::get, "/book/" + sym).body);
  const bool gone = book["bids"].empty() || book["bids"][0]["price"] != "7.3000";
  EXPECT_TRUE(gone);
}

// A buy price that rests (below the best ask, within the price band): 90 % of the ask, on a whole cent.
std::string resting_buy_price(const std::string& sym) {
  const json book = json::parse(http_request(http::verb::get, "/book/" + sym).body);
  const std::string ask = book["asks"].empty() ? std::string("10.00") : book["asks"][0]["price"].get<std::string>();
  return format_fixed(parse_fixed(ask).value_or(0) * 9 / 10 / 100 * 100, 4);
}

std::string fix_utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H:%M:%S.000", &tm);
  return buf;
}

// Issue 13: a drop-copy session (an operator's) receives every participant's ExecutionReports, each naming
// its participant in Parties, and takes no requests; only an operator's users may open one.
TEST(Gateway, ADropCopySessionReceivesEveryParticipantsReports) {
  std::string why;
  fixapi::FixClient not_operator(fix_settings("DROPB", "bjai", "demo-bjai"));
  ASSERT_EQ(not_operator.start(), "");
  EXPECT_FALSE(not_operator.wait_logon(5000, &why));
  EXPECT_NE(why.find("role_missing"), std::string::npos) << why;

  fixapi::FixClient drop(fix_settings("DROP", "ops1", "demo-ops1"));
  ASSERT_EQ(drop.start(), "");
  ASSERT_TRUE(drop.wait_logon(5000, &why)) << why;
  const std::string sym = server().symbols[1];  // GZ.ASC910B tomorrow: HWCLOUD offers from 9.60
  Ws ws;
  ASSERT_TRUE(is_ev(ws.login("key-bjai", "secret-bjai"), "login"));
  const std::string price = resting_buy_price(sym);
  ws.send(R"({"cmd":"new_order","cl_ord_id":"dc-1","symbol":")" + sym + R"(","side":"buy","price":")" + price + R"(","qty":1})");
  fixapi::FixMessage m;
  ASSERT_TRUE(next_of(drop, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "dc-1"; }, m));
  EXPECT_EQ(m.value(150), "0");
  EXPECT_EQ(m.value(55), sym);
  std::string party;
  for (const auto& g : m.groups)
    if (g.count_tag == 453)
      for (const auto& entry : g.entries)
        for (const auto& f : entry)
          if (f.tag == 448) party = f.value;
  EXPECT_EQ(party, "BJAI") << "PartyID names whose report it is";

  ASSERT_TRUE(drop.send(new_order("dc-own", sym, '1', "1", price)));
  ASSERT_TRUE(next_of(drop, [](const auto& x) { return x.value(11) == "dc-own"; }, m));
  EXPECT_EQ(m.value(150), "8") << "refused";
  EXPECT_EQ(m.value(20001), "role_missing");
  ws.send(R"({"cmd":"cancel","orig_cl_ord_id":"dc-1"})");
  ASSERT_TRUE(next_of(drop, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "dc-1" && x.value(150) == "4"; }, m))
      << "the cancel is copied too";
}

TEST(Gateway, FixOrderFillMarketDataAndRejects) {
  const std::string sym = server().symbols[1];  // GZ.ASC910B tomorrow
  fixapi::FixClient bad(fix_settings("BAD", "bjai", "wrong-password"));
  ASSERT_EQ(bad.start(), "");
  std::string why;
  EXPECT_FALSE(bad.wait_logon(5000, &why));
  EXPECT_NE(why.find("bad_credentials"), std::string::npos) << why;

  fixapi::FixClient c(fix_settings("BJAI", "bjai", "demo-bjai"));
  ASSERT_EQ(c.start(), "");
  ASSERT_TRUE(c.wait_logon(5000, &why)) << why;
  fixapi::FixMessage m;

  // Security list and a market-data subscription.
  fixapi::FixMessage sl;
  sl.msg_type = "x";
  sl.set(320, "sl1");
  sl.set(559, "4");
  ASSERT_TRUE(c.send(sl));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "y"; }, m));
  EXPECT_GE(std::stoi(m.value(393)), 18);
  fixapi::FixMessage md;
  md.msg_type = "V";
  md.set(262, "md1");
  md.set(263, "1");
  md.set(264, "5");
  md.groups.push_back({267, 269, {{{269, "0"}}, {{269, "1"}}}});
  md.groups.push_back({146, 55, {{{55, sym}}}});
  ASSERT_TRUE(c.send(md));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "W"; }, m));
  EXPECT_EQ(m.value(55), sym);

  // Buy 4 at the best offer (GZBD 9.40 or HWCLOUD 9.60): New, then a fill, then an incremental refresh.
  ASSERT_TRUE(c.send(new_order("fx-1", sym, '1', "4", "9.60")));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "0"; }, m));
  EXPECT_EQ(m.value(11), "fx-1");
  const std::string order_id = m.value(37);
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "F"; }, m));
  EXPECT_EQ(m.value(32), "4");
  EXPECT_EQ(m.value(39), "2");
  EXPECT_EQ(m.value(59), "1") << "TimeInForce: GTC, as sent";
  EXPECT_EQ(m.value(851), "2") << "LastLiquidityInd: it took the offer";
  EXPECT_FALSE(m.value(20010).empty()) << "notional";
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "X"; }, m));

  // A resting order, a duplicate ClOrdID, an unknown symbol, a cancel, a cancel of nothing.
  ASSERT_TRUE(c.send(new_order("fx-2", sym, '1', "2", "8.00")));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "fx-2" && x.value(150) == "0"; }, m));
  ASSERT_TRUE(c.send(new_order("fx-2", sym, '1', "2", "8.10")));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "8"; }, m));
  EXPECT_EQ(m.value(20001), "duplicate_cl_ord_id");
  EXPECT_EQ(m.value(103), "6");
  ASSERT_TRUE(c.send(new_order("fx-3", "NM.H100.D.2031-01-01", '1', "1", "8.00")));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "8"; }, m));
  EXPECT_EQ(m.value(20001), "unknown_instrument");
  ASSERT_TRUE(c.send(cancel_request("fx-2", "fx-2-c", sym)));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "4"; }, m));
  EXPECT_EQ(m.value(41), "fx-2");
  ASSERT_TRUE(c.send(cancel_request("fx-2", "fx-2-c", sym)));  // again: the order is gone
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "9"; }, m));
  EXPECT_EQ(m.value(20001), "unknown_order");
  EXPECT_EQ(m.value(102), "1");

  // Mass cancel of one security: the report counts the orders.
  ASSERT_TRUE(c.send(new_order("fx-m1", sym, '1', "1", "7.00")));
  ASSERT_TRUE(c.send(new_order("fx-m2", sym, '1', "1", "7.01")));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "fx-m2" && x.value(150) == "0"; }, m));
  fixapi::FixMessage mass;
  mass.msg_type = "q";
  mass.set(11, "fx-mass");
  mass.set(530, "1");
  mass.set(55, sym);
  mass.set(60, "20261125-00:00:00.000");
  ASSERT_TRUE(c.send(mass));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "r"; }, m));
  EXPECT_EQ(m.value(531), "1");
  EXPECT_EQ(m.value(533), "3") << "fx-m1, fx-m2 and the demo bid BJAI has in every book of tomorrow";

  // Malformed FIX: a Side the dictionary does not know -> session-level Reject, and the session goes on.
  fixapi::FixMessage bad_side = new_order("fx-4", sym, 'Z', "1", "8.00");
  ASSERT_TRUE(c.send(bad_side));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "3"; }, m));
  EXPECT_EQ(m.value(373), "5");
  ASSERT_TRUE(c.send(new_order("fx-5", sym, '1', "1", "8.00")));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "fx-5"; }, m));
  EXPECT_EQ(m.value(150), "0");
  EXPECT_NE(order_id, "");

  // Cancel-on-disconnect: the session logs out, its resting fx-5 leaves the book (seen by a WebSocket
  // session of the same participant on its orders feed).
  Ws watcher;
  ASSERT_TRUE(is_ev(watcher.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_FALSE(watcher.subscribe("orders").is_null());
  c.stop();
  ASSERT_FALSE(watcher.read_until([](const json& m) { return is_ev(m, "cancelled") && m["cl_ord_id"] == "fx-5"; }).is_null());
  auto book = json::parse(http_request(http::verb::get, "/book/" + sym + "?depth=50").body);
  bool gone = true;
  for (const auto& level : book["bids"])
    if (level["price"] == "8.0000") gone = false;
  EXPECT_TRUE(gone);
}

// A participant's FIX sessions hear of its orders from every gateway: a WebSocket sell the engine refuses
// is an ExecutionReport with Side(54)=2. The FIX sink used to take the side from its own request context,
// which for another gateway's request is the default, a buy.
TEST(Gateway, FixSeesARefusedWebSocketOrderWithItsSide) {
  const std::string sym = server().symbols[1];
  std::string why;
  fixapi::FixClient c(fix_settings("BJAI2", "bjai", "demo-bjai"));
  ASSERT_EQ(c.start(), "");
  ASSERT_TRUE(c.wait_logon(5000, &why)) << why;
  Ws ws;
  ASSERT_TRUE(is_ev(ws.login("key-bjai", "secret-bjai"), "login"));
  // BJAI is a buyer: selling is refused by the engine (role_missing), not by the JSON decoder.
  ws.send(R"({"cmd":"new_order","cl_ord_id":"ws-sell-refused","symbol":")" + sym + R"(","side":"sell","price":"9.00","qty":1})");
  json refused = ws.read_until([](const json& m) { return is_ev(m, "rejected") || is_ev(m, "error"); });
  ASSERT_EQ(refused.value("reason", ""), "role_missing") << refused.dump();
  fixapi::FixMessage m;
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "ws-sell-refused"; }, m));
  EXPECT_EQ(m.value(150), "8");
  EXPECT_EQ(m.value(54), "2");
  EXPECT_EQ(m.value(55), sym);
  c.stop();
}

// Issue 13: OrderStatusRequest (H) and OrderMassStatusRequest (AF) answered from the engine's account of
// each order, whatever gateway placed it (here: WebSocket), with ExecType=I.
TEST(Gateway, FixOrderStatusAndMassStatusCoverOrdersFromEveryGateway) {
  const std::string sym = server().symbols[1];
  std::string why;
  fixapi::FixClient c(fix_settings("BJAI2", "bjai", "demo-bjai"));
  ASSERT_EQ(c.start(), "");
  ASSERT_TRUE(c.wait_logon(5000, &why)) << why;
  const json book = json::parse(http_request(http::verb::get, "/book/" + sym).body);
  ASSERT_FALSE(book["asks"].empty()) << book.dump();
  const std::string low = format_fixed(parse_fixed(book["asks"][0]["price"].get<std::string>()).value_or(0) * 8 / 10 / 100 * 100, 4);
  Ws ws;
  ASSERT_TRUE(is_ev(ws.login("key-bjai", "secret-bjai"), "login"));
  ws.send(R"({"cmd":"new_order","cl_ord_id":"st-ws-1","symbol":")" + sym + R"(","side":"buy","price":")" + low + R"(","qty":3})");
  json acc = ws.read_until([](const json& m) { return m.value("cl_ord_id", "") == "st-ws-1"; });
  ASSERT_TRUE(is_ev(acc, "accepted")) << acc.dump();
  fixapi::FixMessage m;
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "st-ws-1"; }, m));  // its New

  fixapi::FixMessage h;
  h.msg_type = "H";
  h.set(11, "st-ws-1");
  h.set(55, sym);
  h.set(54, "1");
  ASSERT_TRUE(c.send(h));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "I"; }, m));
  EXPECT_EQ(m.value(11), "st-ws-1");
  EXPECT_EQ(m.value(37), std::to_string(acc["order_id"].get<uint64_t>()));
  EXPECT_EQ(m.value(39), "0");
  EXPECT_EQ(m.value(151), "3");
  EXPECT_EQ(m.value(14), "0");
  EXPECT_EQ(m.value(44), low);

  fixapi::FixMessage unknown = h;
  unknown.set(11, "no-such-order");
  ASSERT_TRUE(c.send(unknown));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "I"; }, m));
  EXPECT_EQ(m.value(11), "no-such-order");
  EXPECT_EQ(m.value(39), "8");
  EXPECT_EQ(m.value(103), "5");

  // Mass status for the symbol: every open order of BJAI there, the last one marked.
  const json open = json::parse(signed_get("key-bjai", "secret-bjai", "/orders?symbol=" + sym).body);
  const size_t n = open["orders"].size();
  ASSERT_GE(n, 1u) << open.dump();
  fixapi::FixMessage af;
  af.msg_type = "AF";
  af.set(584, "mass-1");
  af.set(585, "1");
  af.set(55, sym);
  ASSERT_TRUE(c.send(af));
  std::set<std::string> reported;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(584) == "mass-1"; }, m)) << i;
    EXPECT_EQ(m.value(150), "I");
    EXPECT_EQ(m.value(911), std::to_string(n));
    EXPECT_EQ(m.value(912), i + 1 == n ? "Y" : "N");
    reported.insert(m.value(11));
  }
  EXPECT_TRUE(reported.count("st-ws-1"));
  af.set(584, "mass-2");
  af.set(585, "8");  // a FIX value CPX does not serve (for a PartyID)
  ASSERT_TRUE(c.send(af));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.value(150) == "8" || x.msg_type == "j"; }, m));
  EXPECT_EQ(m.value(20001), "invalid_value");
  // A BusinessMessageReject names what it refuses: type, MsgSeqNum and the request's own id.
  EXPECT_EQ(m.msg_type, "j");
  EXPECT_EQ(m.value(372), "AF");
  EXPECT_EQ(m.value(379), "mass-2");
  EXPECT_EQ(m.value(380), "0");
  EXPECT_FALSE(m.value(45).empty()) << "RefSeqNum";

  ws.send(R"({"cmd":"cancel","orig_cl_ord_id":"st-ws-1"})");
  ASSERT_FALSE(ws.read_until([](const json& x) { return is_ev(x, "cancelled"); }).is_null());
  ASSERT_TRUE(c.send(h));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "I"; }, m));
  EXPECT_EQ(m.value(39), "4") << "cancelled, still found";
  EXPECT_EQ(m.value(151), "0");

  // PossResend(97)=Y of an order already received: its status, not a second order (the original was
  // cancelled: placing it again would make a live order nobody wants).
  fixapi::FixMessage resent = new_order("st-ws-1", sym, '1', "3", low);
  resent.set(97, "Y");
  ASSERT_TRUE(c.send(resent));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "st-ws-1"; }, m));
  EXPECT_EQ(m.value(150), "I");
  EXPECT_EQ(m.value(39), "4");
  const json still = json::parse(signed_get("key-bjai", "secret-bjai", "/orders?symbol=" + sym).body);
  for (const auto& o : still["orders"]) EXPECT_NE(o["cl_ord_id"], "st-ws-1") << "no second order";
  // PossResend=Y with a ClOrdID never seen: a new order like any other.
  fixapi::FixMessage fresh = new_order("st-fix-new", sym, '1', "1", low);
  fresh.set(97, "Y");
  ASSERT_TRUE(c.send(fresh));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "st-fix-new"; }, m));
  EXPECT_EQ(m.value(150), "0");
  ASSERT_TRUE(c.send(cancel_request("st-fix-new", "st-fix-new-x", sym)));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "4"; }, m));
  c.stop();
}

// A FIX client alone finds every fill since a cursor (TradeCaptureReportRequest AD -> AQ + AE) and its
// balances (CollateralInquiry BB -> CollateralReport BA), exactly as the JSON API reports them.
fixapi::FixMessage trade_request(const std::string& id, const std::string& after, const std::string& max) {
  fixapi::FixMessage m;
  m.msg_type = "AD";
  m.set(568, id);
  m.set(569, "0");
  if (!after.empty()) m.set(20050, after);
  if (!max.empty()) m.set(20051, max);
  return m;
}

// The one entry of an AE's NoSides(552) group, as tag -> value.
std::map<int, std::string> side_of(const fixapi::FixMessage& m) {
  std::map<int, std::string> out;
  for (const auto& g : m.groups)
    if (g.count_tag == 552 && g.entries.size() == 1)
      for (const auto& f : g.entries[0]) out[f.tag] = f.value;
  return out;
}

// Sends an AD and collects its answer: the ack, then its reports (TotNumTradeReports of them).
bool trade_capture(fixapi::FixClient& c, const fixapi::FixMessage& req, fixapi::FixMessage& ack,
                   std::vector<fixapi::FixMessage>& reports) {
  reports.clear();
  if (!c.send(req)) return false;
  const std::string id = req.value(568);
  if (!next_of(c, [&](const auto& x) { return x.msg_type == "AQ" && x.value(568) == id; }, ack)) return false;
  if (ack.value(750) == "2") return true;
  const size_t n = std::stoul(ack.value(748));
  for (size_t i = 0; i < n; ++i) {
    fixapi::FixMessage m;
    if (!next_of(c, [&](const auto& x) { return x.msg_type == "AE" && x.value(568) == id; }, m)) return false;
    EXPECT_EQ(m.value(748), std::to_string(n));
    EXPECT_EQ(m.value(912), i + 1 == n ? "Y" : "N");
    reports.push_back(std::move(m));
  }
  return true;
}

TEST(Gateway, AFixClientFindsItsFillsAndBalancesOverFixAlone) {
  const std::string sym = server().symbols[2];  // NX.H20 tomorrow: ALICLOUD offers it
  std::string why;
  fixapi::FixClient c(fix_settings("BJAI2", "bjai", "demo-bjai"));
  ASSERT_EQ(c.start(), "");
  ASSERT_TRUE(c.wait_logon(5000, &why)) << why;

  // Every fill so far, a few pages of them (within the session's query budget), against the JSON API's list.
  const json all = json::parse(signed_get("key-bjai", "secret-bjai", "/fills?limit=1000").body);
  const size_t per_page = std::max<size_t>(2, all["fills"].size() / 8);
  std::vector<std::string> fix_ids;
  std::string cursor = "0";
  fixapi::FixMessage ack;
  std::vector<fixapi::FixMessage> page;
  for (int pages = 0; pages < 1000; ++pages) {
    ASSERT_TRUE(trade_capture(c, trade_request("all-" + std::to_string(pages), cursor, std::to_string(per_page)), ack, page));
    ASSERT_EQ(ack.value(749), "0") << ack.value(58);
    ASSERT_LE(page.size(), per_page);
    for (const auto& m : page) fix_ids.push_back(m.value(20013));
    if (!page.empty()) cursor = page.back().value(20013);
    if (ack.value(20052) == "N") break;
    ASSERT_EQ(page.size(), per_page) << "a page that says more is full";
  }
  std::vector<std::string> json_ids;
  for (const auto& f : all["fills"]) json_ids.push_back(std::to_string(f["trade_id"].get<uint64_t>()));
  EXPECT_EQ(fix_ids, json_ids);

  // A new fill over FIX: the next request after the cursor reports exactly it, as its ExecutionReport did.
  const json book = json::parse(http_request(http::verb::get, "/book/" + sym).body);
  ASSERT_FALSE(book["asks"].empty()) << book.dump();
  const std::string ask = book["asks"][0]["price"];
  ASSERT_TRUE(c.send(new_order("fb-ioc", sym, '1', "1", ask, "3")));
  fixapi::FixMessage fill;
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "fb-ioc" && x.value(150) == "F"; }, fill));
  ASSERT_TRUE(trade_capture(c, trade_request("since", cursor, ""), ack, page));
  EXPECT_EQ(ack.value(750), "0");
  EXPECT_EQ(ack.value(20052), "N");
  ASSERT_EQ(page.size(), 1u);
  const fixapi::FixMessage ae = page[0];  // a copy: `page` takes the next answers
  EXPECT_EQ(ae.value(20013), fill.value(20013));
  EXPECT_EQ(ae.value(55), sym);
  EXPECT_EQ(ae.value(32), "1");
  EXPECT_EQ(ae.value(31), fill.value(31));
  EXPECT_EQ(ae.value(20047), "2") << "took liquidity";
  EXPECT_EQ(ae.value(570), "Y");
  EXPECT_EQ(ae.value(75).size(), 8u);
  const auto side = side_of(ae);
  EXPECT_EQ(side.at(54), "1");
  EXPECT_EQ(side.at(37), fill.value(37));
  EXPECT_EQ(side.at(11), "fb-ioc");
  EXPECT_EQ(side.at(12), fill.value(20011)) << "the fee";
  EXPECT_EQ(side.at(381), fill.value(20010)) << "the notional";

  // A time range: from just after that fill, nothing.
  Timestamp t = 0;
  ASSERT_TRUE(fix::parse_utc_timestamp(ae.value(60), t));
  fixapi::FixMessage ranged = trade_request("later", "", "");
  ranged.groups.push_back(fixapi::FixGroup{580, 75, {{{75, ae.value(75)}, {60, fix::utc_timestamp(t + 1'000'000)}}}});
  ASSERT_TRUE(trade_capture(c, ranged, ack, page));
  EXPECT_EQ(ack.value(748), "0");
  EXPECT_EQ(ack.value(750), "1") << "completed: nothing follows";
  // From the fill's day (TradeDate only) to just after it: the fill is in.
  ranged = trade_request("that-day", "", "");
  ranged.groups.push_back(fixapi::FixGroup{580, 75, {{{75, ae.value(75)}}, {{75, ae.value(75)}, {60, fix::utc_timestamp(t + 1'000'000)}}}});
  ASSERT_TRUE(trade_capture(c, ranged, ack, page));
  ASSERT_FALSE(page.empty());
  EXPECT_EQ(page.back().value(20013), ae.value(20013));

  // Refusals: an AQ that says why.
  fixapi::FixMessage bad = trade_request("bad-type", "", "");
  bad.fields[1].value = "1";  // TradeRequestType: matched trades
  ASSERT_TRUE(trade_capture(c, bad, ack, page));
  EXPECT_EQ(ack.value(750), "2");
  EXPECT_EQ(ack.value(749), "8");
  ASSERT_TRUE(trade_capture(c, trade_request("bad-max", "", "0"), ack, page));
  EXPECT_EQ(ack.value(750), "2");
  EXPECT_EQ(ack.value(20001), "invalid_value");
  ASSERT_TRUE(trade_capture(c, trade_request("bad-cursor", "-1", ""), ack, page));
  EXPECT_EQ(ack.value(750), "2");
  fixapi::FixMessage sub = trade_request("bad-sub", "", "");
  sub.set(263, "1");
  ASSERT_TRUE(trade_capture(c, sub, ack, page));
  EXPECT_EQ(ack.value(750), "2");

  // Balances, with a resting buy holding cash: the CollateralReport says what /balances says.
  const std::string low = format_fixed(parse_fixed(ask).value_or(0) * 9 / 10 / 100 * 100, 4);
  ASSERT_TRUE(c.send(new_order("fb-rest", sym, '1', "2", low)));
  fixapi::FixMessage m;
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "fb-rest"; }, m));
  ASSERT_EQ(m.value(150), "0");
  fixapi::FixMessage bb;
  bb.msg_type = "BB";
  bb.set(909, "bal-1");
  ASSERT_TRUE(c.send(bb));
  fixapi::FixMessage ba;
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "BA" || x.msg_type == "BG"; }, ba));
  ASSERT_EQ(ba.msg_type, "BA");
  const json bal = json::parse(signed_get("key-bjai", "secret-bjai", "/balances").body);
  EXPECT_EQ(ba.value(909), "bal-1");
  EXPECT_EQ(ba.value(1), "BJAI");
  EXPECT_EQ(ba.value(15), "CNY");
  EXPECT_EQ(ba.value(900), bal["cash"]);
  EXPECT_EQ(ba.value(20060), bal["cash"]);
  EXPECT_EQ(ba.value(20061), bal["reserved_by_open_buys"]);
  EXPECT_EQ(ba.value(20062), bal["available"]);
  EXPECT_EQ(ba.value(20063), bal["escrowed_unsettled"]);
  EXPECT_EQ(ba.value(20064), bal["revenue"]);
  EXPECT_EQ(ba.value(20065), std::to_string(bal["open_orders"].get<int64_t>()));
  EXPECT_GT(parse_fixed(ba.value(20061)).value_or(0), 0) << "the resting buy reserves cash";
  bb.set(263, "1");
  ASSERT_TRUE(c.send(bb));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "BA" || x.msg_type == "BG"; }, m));
  EXPECT_EQ(m.msg_type, "BG");
  EXPECT_EQ(m.value(945), "4");

  ASSERT_TRUE(c.send(cancel_request("fb-rest", "fb-rest-x", sym)));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "4"; }, m));

  // The demo's day-ahead auction bid (demo_market.cpp, "train-64") is one of BJAI's open orders, over
  // JSON and FIX alike.
  const json bid = json::parse(signed_get("key-bjai", "secret-bjai", "/orders?cl_ord_id=train-64").body);
  ASSERT_TRUE(bid.contains("order")) << bid.dump();
  EXPECT_EQ(bid["order"]["auction"], "bid");
  EXPECT_EQ(bid["order"]["status"], "new");
  EXPECT_EQ(bid["order"]["scu_per_hour"], 63296);
  EXPECT_EQ(bid["order"]["first_hour"], 0);
  EXPECT_EQ(bid["order"]["hours"], 12);
  bool listed = false;
  const json open_now = json::parse(signed_get("key-bjai", "secret-bjai", "/orders").body);
  for (const auto& o : open_now["orders"]) listed |= o["cl_ord_id"] == "train-64";
  EXPECT_TRUE(listed) << "among the open orders " << open_now.dump();
  fixapi::FixMessage h;
  h.msg_type = "H";
  h.set(11, "train-64");
  h.set(54, "1");
  ASSERT_TRUE(c.send(h));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(150) == "I"; }, m));
  EXPECT_EQ(m.value(37), std::to_string(bid["order"]["order_id"].get<uint64_t>()));
  EXPECT_EQ(m.value(55), "AUCTION");
  EXPECT_EQ(m.value(39), "0");
  EXPECT_EQ(m.value(20071), "63296");
  EXPECT_EQ(m.value(20070).substr(9), "16:00:00.000") << "the delivery day's 00:00 CST";
  c.stop();
}

TEST(Gateway, FixOverTls) {
  fixapi::FixClient c(fix_settings("NMDC", "nmdc", "demo-nmdc", /*tls=*/true));
  ASSERT_EQ(c.start(), "");
  std::string why;
  ASSERT_TRUE(c.wait_logon(5000, &why)) << why;
  fixapi::FixMessage sl, m;
  sl.msg_type = "x";
  sl.set(320, "sl-tls");
  sl.set(559, "0");
  sl.set(55, server().symbols[0]);
  ASSERT_TRUE(c.send(sl));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "y"; }, m));
  EXPECT_EQ(m.value(393), "1");
}

// docs/PRODUCT.md §8: rotating a user's credentials or disabling the user ends its open sessions at once, over
// both protocols; a rotated-then-disabled user stays disabled.
TEST(Gateway, RevokedCredentialsEndOpenSessions) {
  auto created = admin_request("key-ops1", "secret-ops1", R"({"op":"user_create","username":"rev-user","participant":"BJAI"})");
  ASSERT_EQ(created.status, 200) << created.body;
  const json cred = json::parse(created.body);
  Ws ws;
  ASSERT_TRUE(is_ev(ws.login(cred["api_key"], cred["api_secret"]), "login"));
  fixapi::FixClient fix(fix_settings("JUNK", "rev-user", cred["password"]));
  ASSERT_EQ(fix.start(), "");
  std::string why;
  ASSERT_TRUE(fix.wait_logon(5000, &why)) << why;

  auto rotated = admin_request("key-ops1", "secret-ops1", R"({"op":"user_rotate","username":"rev-user"})");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  json last;
  for (;;) {
    json m = ws.read(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    if (m.is_null()) break;
    last = m;
  }
  EXPECT_EQ(last.value("reason", ""), "credentials_revoked") << last.dump();
  EXPECT_EQ(ws.close_code(), 1008);
  fixapi::FixMessage m;
  ASSERT_TRUE(next_of(fix, [](const auto& x) { return x.msg_type == "5"; }, m));
  EXPECT_NE(m.value(58).find("credentials_revoked"), std::string::npos) << m.value(58);
  fix.stop();

  // The old key no longer logs in; the new one does, until the user is disabled.
  Ws old_key;
  EXPECT_EQ(old_key.login(cred["api_key"], cred["api_secret"]).value("reason", ""), "unknown_api_key");
  const json cred2 = json::parse(rotated.body);
  Ws ws2;
  ASSERT_TRUE(is_ev(ws2.login(cred2["api_key"], cred2["api_secret"]), "login"));
  ASSERT_EQ(admin_request("key-ops1", "secret-ops1", R"({"op":"user_disable","username":"rev-user"})").status, 200);
  json bye = ws2.read_until([](const json& x) { return is_ev(x, "error"); });
  EXPECT_EQ(bye.value("reason", ""), "credentials_revoked");
  auto again = admin_request("key-ops1", "secret-ops1", R"({"op":"user_rotate","username":"rev-user"})");
  ASSERT_EQ(again.status, 200);
  const json cred3 = json::parse(again.body);
  Ws ws3;
  EXPECT_FALSE(is_ev(ws3.login(cred3["api_key"], cred3["api_secret"]), "login")) << "rotating does not enable";
}

// A client that sends pings and reads nothing cannot make its queue grow: one pong waits at most, answering
// the latest ping; the connection stays usable.
TEST(Gateway, APingFloodIsAnsweredWithoutGrowingTheQueue) {
  Ws c(4096);
  ASSERT_TRUE(is_ev(c.login("key-szauto", "secret-szauto"), "login"));
  int pongs = 0;
  c.count_pongs(pongs);
  const int kPings = 200000;
  std::string flood;
  for (int i = 0; i < kPings; ++i) flood += std::string("\x89\x80\x01\x02\x03\x04", 6);  // masked, empty
  c.send_raw(flood);
  c.send(R"({"op":"ping","id":"after-flood"})");
  json pong = c.read_until([](const json& m) { return is_ev(m, "pong"); }, 10000);
  EXPECT_EQ(pong.value("id", ""), "after-flood") << "the connection still answers";
  EXPECT_GE(pongs, 1);
  EXPECT_LT(pongs, kPings / 2) << "pongs are coalesced, not queued one per ping";
}

// A client that stops taking data while a write is pending is closed after ws_write_timeout_ms, and its
// orders are cancelled as on any disconnect.
TEST(Gateway, AStuckWebSocketWriteClosesTheConnection) {
  const std::string sym = server().symbols[4];  // GS.CPU tomorrow
  Ws watcher;
  ASSERT_TRUE(is_ev(watcher.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_FALSE(watcher.subscribe("orders").is_null());
  Ws stuck(4096);
  ASSERT_TRUE(is_ev(stuck.login("key-bjai", "secret-bjai"), "login"));
  stuck.send(R"({"cmd":"new_order","cl_ord_id":"stuck-1","symbol":")" + sym + R"(","side":"buy","price":"1.01","qty":1})");
  ASSERT_TRUE(is_ev(stuck.read_until([](const json& m) { return is_ev(m, "accepted") || is_ev(m, "error"); }), "accepted"));
  stuck.send(json{{"op", "subscribe"}, {"channel", "book." + sym}}.dump());
  // Book changes (about 5 MB) the stuck client never reads: more than the socket buffers hold (the
  // server's grows to a few MB), less than max_outbound_bytes, so only the write timeout can end it.
  std::vector<std::string> lines;
  for (int i = 0; i < 20000; ++i) {
    const std::string id = "stk-" + std::to_string(i);
    lines.push_back(R"({"cmd":"new_order","participant":"SHRENDER","cl_ord_id":")" + id + R"(","symbol":")" + sym +
                    R"(","side":"buy","price":"0.99","qty":1})");
    lines.push_back(R"({"cmd":"cancel","participant":"SHRENDER","orig_cl_ord_id":")" + id + R"("})");
  }
  const auto before = server().core->metrics().slow_consumer_drops.load();
  ASSERT_TRUE(server().core->run_admin_requests(lines).ok());
  json gone = watcher.read_until([](const json& m) { return is_ev(m, "cancelled") && m.value("cl_ord_id", "") == "stuck-1"; },
                                 server().config.ws_write_timeout_ms + 10000);
  EXPECT_FALSE(gone.is_null()) << "the stuck connection was closed and its order cancelled";
  EXPECT_EQ(server().core->metrics().slow_consumer_drops.load(), before) << "by the timeout, not the queue bound";
}

// docs/PRODUCT.md §3.2: "where is my job cheapest, all costs in?" over HTTP and WebSocket, on the demo books.
TEST(Gateway, RouteQuoteOverHttpAndWebSocket) {
  json query = {{"classes", {"H100"}}, {"origin", "JJJ"}, {"scu", 9890}, {"data_gb", 2000}};
  const json listed = json::parse(http_request(http::verb::get, "/instruments").body);
  for (const auto& i : listed["instruments"]) {
    if (i["symbol"] != server().symbols[0]) continue;  // tomorrow's day window, as listed
    query["window_start"] = i["start"];
    query["window_end"] = i["end"];
  }
  auto reply = http_request(http::verb::post, "/route/quote", query.dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
  json q = json::parse(reply.body);
  ASSERT_GE(q["candidates"].size(), 2u) << "the demo lists H100 books in NM and JJJ: " << reply.body;
  std::set<std::string> regions;
  for (const auto& c : q["candidates"]) regions.insert(c["region"].get<std::string>());
  EXPECT_TRUE(regions.count("NM") && regions.count("JJJ"));
  const auto landed = [](const json& c) { return parse_fixed(c["landed_per_scu_hour"].get<std::string>(), 8).value_or(-1); };
  for (size_t i = 1; i < q["candidates"].size(); ++i) EXPECT_LE(landed(q["candidates"][i - 1]), landed(q["candidates"][i]));
  for (const auto& c : q["candidates"]) {
    if (c["region"] == "NM") {
      EXPECT_EQ(c["carriers"], json({"CTNET"}));
    }
  }

  auto bad = http_request(http::verb::post, "/route/quote", R"({"classes":["H100"],"origin":"XX","scu":1})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["reason"], "unknown_region");

  Ws ws;
  ASSERT_TRUE(is_ev(ws.login("key-bjai", "secret-bjai"), "login"));
  json op = query;
  op["op"] = "route_quote";
  op["id"] = "rq1";
  ws.send(op.dump());
  json answer = ws.read_until([](const json& m) { return is_ev(m, "route_quote") || is_ev(m, "error"); });
  ASSERT_TRUE(is_ev(answer, "route_quote")) << answer.dump();
  EXPECT_EQ(answer["id"], "rq1");
  EXPECT_EQ(answer["candidates"], q["candidates"]) << "the same books, the same answer";
}

// Issue 13: a participant finds its own orders, fills and money over signed HTTP and WebSocket; an
// operator may name anyone; another's order is not found, another participant not named.

TEST(Gateway, AParticipantFindsItsOwnOrdersFillsAndBalances) {
  const std::string sym = server().symbols[2];  // NX.H20 tomorrow: ALICLOUD offers it
  const json book = json::parse(http_request(http::verb::get, "/book/" + sym).body);
  ASSERT_FALSE(book["asks"].empty()) << book.dump();
  const std::string ask = book["asks"][0]["price"];
  auto fills_before = signed_get("key-bjai", "secret-bjai", "/fills?limit=1000");
  ASSERT_EQ(fills_before.status, 200) << fills_before.body;
  const uint64_t cursor = json::parse(fills_before.body)["next_after"];

  Ws ws;
  ASSERT_TRUE(is_ev(ws.login("key-bjai", "secret-bjai"), "login"));
  ws.send(R"({"cmd":"new_order","cl_ord_id":"own-ioc","symbol":")" + sym + R"(","side":"buy","price":")" + ask +
          R"(","qty":1,"tif":"ioc"})");
  json trade = ws.read_until([](const json& m) { return is_ev(m, "trade") || is_ev(m, "error") || is_ev(m, "rejected"); });
  ASSERT_TRUE(is_ev(trade, "trade")) << trade.dump();
  // A buy well below the ask (within the price band) rests.
  const std::string low = format_fixed(parse_fixed(ask).value_or(0) * 9 / 10 / 100 * 100, 4);
  ws.send(R"({"cmd":"new_order","cl_ord_id":"own-rest","symbol":")" + sym + R"(","side":"buy","price":")" + low + R"(","qty":2})");
  json rest = ws.read_until([](const json& m) { return m.value("cl_ord_id", "") == "own-rest"; });
  ASSERT_TRUE(is_ev(rest, "accepted")) << rest.dump();
  const uint64_t rest_id = rest["order_id"];

  // Open orders: the resting one, not the IOC.
  auto open = signed_get("key-bjai", "secret-bjai", "/orders?symbol=" + sym);
  ASSERT_EQ(open.status, 200) << open.body;
  std::set<std::string> open_ids;
  const json open_doc = json::parse(open.body);
  for (const auto& o : open_doc["orders"]) open_ids.insert(o["cl_ord_id"].get<std::string>());
  EXPECT_TRUE(open_ids.count("own-rest")) << open.body;
  EXPECT_FALSE(open_ids.count("own-ioc")) << open.body;
  // One order by client id and by order id.
  auto ioc = signed_get("key-bjai", "secret-bjai", "/orders?cl_ord_id=own-ioc");
  ASSERT_EQ(ioc.status, 200) << ioc.body;
  const json o = json::parse(ioc.body)["order"];
  EXPECT_EQ(o["status"], "filled");
  EXPECT_EQ(o["filled"], 1);
  EXPECT_EQ(o["avg_price"], trade["price"]);
  auto by_id = signed_get("key-bjai", "secret-bjai", "/orders/" + std::to_string(rest_id));
  ASSERT_EQ(by_id.status, 200) << by_id.body;
  EXPECT_EQ(json::parse(by_id.body)["order"]["leaves"], 2);
  // Every order newest first.
  auto all = json::parse(signed_get("key-bjai", "secret-bjai", "/orders?status=all&limit=2").body);
  ASSERT_EQ(all["orders"].size(), 2u) << all.dump();
  EXPECT_EQ(all["orders"][0]["cl_ord_id"], "own-rest");
  EXPECT_EQ(all["orders"][1]["cl_ord_id"], "own-ioc");
  // Fills since the cursor: exactly the IOC's trade.
  auto fills = json::parse(signed_get("key-bjai", "secret-bjai", "/fills?after=" + std::to_string(cursor)).body);
  ASSERT_EQ(fills["fills"].size(), 1u) << fills.dump();
  EXPECT_EQ(fills["fills"][0]["trade_id"], trade["trade_id"]);
  EXPECT_EQ(fills["fills"][0]["liquidity"], "taker");
  EXPECT_EQ(fills["next_after"], trade["trade_id"]);
  // Balances: the resting buy holds cash.
  auto bal = json::parse(signed_get("key-bjai", "secret-bjai", "/balances").body);
  EXPECT_EQ(bal["participant"], "BJAI");
  EXPECT_GT(parse_fixed(bal["reserved_by_open_buys"].get<std::string>()).value_or(0), 0) << bal.dump();

  // Over WebSocket, the same answers, with the request's id.
  ws.send(R"({"op":"orders","symbol":")" + sym + R"(","id":41})");
  json ws_open = ws.read_until([](const json& m) { return is_ev(m, "orders"); });
  EXPECT_EQ(ws_open["id"], 41);
  EXPECT_EQ(ws_open["orders"], json::parse(open.body)["orders"]);
  ws.send(R"({"op":"order","order_id":)" + std::to_string(rest_id) + R"(,"id":42})");
  EXPECT_EQ(ws.read_until([](const json& m) { return is_ev(m, "order"); })["order"]["cl_ord_id"], "own-rest");
  ws.send(R"({"op":"fills","after":)" + std::to_string(cursor) + R"(,"limit":0})");
  EXPECT_EQ(ws.read_until([](const json& m) { return is_ev(m, "error"); })["reason"], "malformed_request");

  // Refusals: another participant's order is not found; another participant is for operators only.
  auto theirs = signed_get("key-nmdc", "secret-nmdc", "/orders/" + std::to_string(rest_id));
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(json::parse(theirs.body)["reason"], "unknown_order");
  auto naming = signed_get("key-nmdc", "secret-nmdc", "/orders?participant=BJAI");
  EXPECT_EQ(naming.status, 403);
  EXPECT_EQ(json::parse(naming.body)["reason"], "not_owner");
  auto ops = signed_get("key-ops1", "secret-ops1", "/orders?participant=BJAI&symbol=" + sym);
  ASSERT_EQ(ops.status, 200) << ops.body;
  EXPECT_EQ(json::parse(ops.body)["orders"], json::parse(open.body)["orders"]);
  EXPECT_EQ(signed_get("key-bjai", "secret-bjai", "/fills?limit=5000").status, 400) << "out of range: refused, not clamped";
  EXPECT_EQ(signed_get("key-bjai", "secret-bjai", "/fills?after=abc").status, 400);
  auto unsigned_get = http_request(http::verb::get, "/balances");
  EXPECT_EQ(unsigned_get.status, 401);
  auto forged = http_request(http::verb::get, "/balances", {},
                             {{"X-CPX-Key", "key-bjai"}, {"X-CPX-Timestamp", std::to_string(now_ns())}, {"X-CPX-Nonce", nonce()},
                              {"X-CPX-Signature", auth::sign_request("wrong", now_ns(), "n", "GET /balances\n")}});
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(json::parse(forged.body)["reason"], "bad_signature");

  ws.send(R"({"cmd":"cancel","orig_cl_ord_id":"own-rest"})");
  ASSERT_FALSE(ws.read_until([](const json& m) { return is_ev(m, "cancelled"); }).is_null());
  auto cancelled = json::parse(signed_get("key-bjai", "secret-bjai", "/orders/" + std::to_string(rest_id)).body);
  EXPECT_EQ(cancelled["order"]["status"], "cancelled");
  EXPECT_EQ(cancelled["order"]["reason"], "cancelled");
}

// Issue 13: a client order id names one order per participant per trading day: once its order is closed
// it stays taken until the day ends (CST), over WebSocket and FIX alike.
TEST(Gateway, AClientOrderIdIsUsedOncePerDay) {
  const std::string sym = server().symbols[1];
  Ws ws;
  ASSERT_TRUE(is_ev(ws.login("key-bjai", "secret-bjai"), "login"));
  const std::string price = resting_buy_price(sym);
  const std::string order = R"({"cmd":"new_order","cl_ord_id":"once-1","symbol":")" + sym + R"(","side":"buy","price":")" + price + R"(","qty":1})";
  ws.send(order);
  const json first = ws.read_until([](const json& m) { return m.value("cl_ord_id", "") == "once-1"; });
  ASSERT_TRUE(is_ev(first, "accepted")) << first.dump();
  ws.send(R"({"cmd":"cancel","orig_cl_ord_id":"once-1"})");
  ASSERT_FALSE(ws.read_until([](const json& m) { return is_ev(m, "cancelled"); }).is_null());
  ws.send(order);
  const json again = ws.read_until([](const json& m) { return m.value("cl_ord_id", "") == "once-1"; });
  EXPECT_EQ(again["reason"], "duplicate_cl_ord_id") << again.dump();

  fixapi::FixClient c(fix_settings("BJAI2", "bjai", "demo-bjai"));
  ASSERT_EQ(c.start(), "");
  std::string why;
  ASSERT_TRUE(c.wait_logon(5000, &why)) << why;
  ASSERT_TRUE(c.send(new_order("once-1", sym, '1', "1", price)));
  fixapi::FixMessage m;
  ASSERT_TRUE(next_of(c, [](const auto& x) { return x.msg_type == "8" && x.value(11) == "once-1"; }, m));
  EXPECT_EQ(m.value(150), "8");
  EXPECT_EQ(m.value(20001), "duplicate_cl_ord_id");
}

// Issue 13: a participant's contracts (with their delivery state) and its cash statement, over signed HTTP
// and WebSocket, a page at a time; an operator may name anyone, another participant may not.
TEST(Gateway, AParticipantFindsItsContractsAndStatement) {
  const std::string sym = server().symbols[2];  // NX.H20 tomorrow: ALICLOUD offers it
  const json book = json::parse(http_request(http::verb::get, "/book/" + sym).body);
  ASSERT_FALSE(book["asks"].empty()) << book.dump();
  Ws ws;
  ASSERT_TRUE(is_ev(ws.login("key-bjai", "secret-bjai"), "login"));
  ws.send(R"({"cmd":"new_order","cl_ord_id":"own-k1","symbol":")" + sym + R"(","side":"buy","price":")" +
          book["asks"][0]["price"].get<std::string>() + R"(","qty":1,"tif":"ioc"})");
  json trade = ws.read_until([](const json& m) { return is_ev(m, "trade") || is_ev(m, "error") || is_ev(m, "rejected"); });
  ASSERT_TRUE(is_ev(trade, "trade")) << trade.dump();
  const uint64_t trade_id = trade["trade_id"];

  auto mine = signed_get("key-bjai", "secret-bjai", "/contracts?limit=1000");
  ASSERT_EQ(mine.status, 200) << mine.body;
  const json contracts = json::parse(mine.body);
  EXPECT_EQ(contracts["participant"], "BJAI");
  EXPECT_FALSE(contracts["more"].get<bool>());
  bool found = false;
  for (const auto& k : contracts["contracts"]) {
    EXPECT_TRUE(k["buyer"] == "BJAI" || k["seller"] == "BJAI") << "only its own: " << k.dump();
    if (k["trade_id"] == trade_id) {
      found = true;
      EXPECT_EQ(k["buyer"], "BJAI");
      EXPECT_EQ(k["symbol"], sym);
      EXPECT_EQ(k["state"], "escrowed") << "awaiting delivery";
      EXPECT_EQ(k["qty"], 1);
    }
  }
  EXPECT_TRUE(found) << mine.body;
  auto escrowed = json::parse(signed_get("key-bjai", "secret-bjai", "/contracts?state=escrowed&limit=1000").body);
  for (const auto& k : escrowed["contracts"]) EXPECT_EQ(k["state"], "escrowed");
  auto after = json::parse(signed_get("key-bjai", "secret-bjai", "/contracts?after=" + std::to_string(trade_id)).body);
  for (const auto& k : after["contracts"]) EXPECT_GT(k["trade_id"].get<uint64_t>(), trade_id);
  EXPECT_EQ(signed_get("key-bjai", "secret-bjai", "/contracts?state=paid").status, 400);
  EXPECT_EQ(signed_get("key-bjai", "secret-bjai", "/contracts?limit=0").status, 400);
  auto naming = signed_get("key-nmdc", "secret-nmdc", "/contracts?participant=BJAI");
  EXPECT_EQ(naming.status, 403);
  EXPECT_EQ(json::parse(naming.body)["reason"], "not_owner");
  auto ops = signed_get("key-ops1", "secret-ops1", "/contracts?participant=BJAI&limit=1000");
  ASSERT_EQ(ops.status, 200) << ops.body;
  EXPECT_EQ(json::parse(ops.body)["contracts"], contracts["contracts"]);

  // The statement: every posted movement of its cash, ending at its balance; pages continue each other.
  const json whole = json::parse(signed_get("key-bjai", "secret-bjai", "/statement").body);
  const json lines = whole["statement"]["lines"];
  ASSERT_GE(lines.size(), 2u) << whole.dump();
  const json bal = json::parse(signed_get("key-bjai", "secret-bjai", "/balances").body);
  EXPECT_EQ(whole["statement"]["closing_balance"], bal["cash"]);
  bool escrow_line = false;
  for (const auto& l : lines) escrow_line |= l["counterparty"] == "escrow:" + std::to_string(trade_id);
  EXPECT_TRUE(escrow_line) << "the trade's escrow is on the statement";
  const json first = json::parse(signed_get("key-bjai", "secret-bjai", "/statement?limit=1").body);
  ASSERT_TRUE(first["more"].get<bool>());
  EXPECT_EQ(first["next_after"], lines[0]["transfer_id"]);
  const json second = json::parse(
      signed_get("key-bjai", "secret-bjai", "/statement?limit=1&after=" + std::to_string(first["next_after"].get<uint64_t>())).body);
  EXPECT_EQ(second["statement"]["lines"][0], lines[1]);
  EXPECT_EQ(second["statement"]["opening_balance"], first["statement"]["closing_balance"]);
  const json csv = json::parse(signed_get("key-bjai", "secret-bjai", "/statement?format=csv").body);
  EXPECT_EQ(csv["csv"].get<std::string>().substr(0, 42), "ts,transfer_id,kind,counterparty,debit,cre");
  EXPECT_EQ(signed_get("key-bjai", "secret-bjai", "/statement?format=pdf").status, 400);
  EXPECT_EQ(signed_get("key-bjai", "secret-bjai", "/statement?limit=10001").status, 400);
  EXPECT_EQ(signed_get("key-nmdc", "secret-nmdc", "/statement?participant=BJAI").status, 403);

  // Over WebSocket: the same answers, with the request's id.
  ws.send(R"({"op":"contracts","limit":1000,"id":"k"})");
  const json ws_contracts = ws.read_until([](const json& m) { return is_ev(m, "contracts"); });
  EXPECT_EQ(ws_contracts["id"], "k");
  EXPECT_EQ(ws_contracts["contracts"], contracts["contracts"]);
  ws.send(R"({"op":"statement","id":"s"})");
  const json ws_statement = ws.read_until([](const json& m) { return is_ev(m, "statement"); });
  EXPECT_EQ(ws_statement["id"], "s");
  EXPECT_EQ(ws_statement["statement"]["lines"], lines);
  ws.send(R"({"op":"contracts","state":"paid"})");
  EXPECT_EQ(ws.read_until([](const json& m) { return is_ev(m, "error"); })["reason"], "malformed_request");
}

// Issue 13: REST order entry, signed, with the semantics and reason codes of WebSocket.
HttpReply signed_call(http::verb verb, const std::string& key, const std::string& secret, const std::string& target,
                      const std::string& body) {
  const int64_t ts = now_ns();
  const std::string n = nonce();
  const std::string method(http::to_string(verb));
  return http_request(verb, target, body,
                      {{"X-CPX-Key", key},
                       {"X-CPX-Timestamp", std::to_string(ts)},
                       {"X-CPX-Nonce", n},
                       {"X-CPX-Signature", auth::sign_request(secret, ts, n, method + " " + target + "\n" + body)}});
}

json events_of(const HttpReply& r) {
  const json doc = json::parse(r.body, nullptr, false);
  return doc.is_object() && doc.contains("events") ? doc["events"] : json::array();
}

bool has_event(const json& events, const char* ev) {
  for (const auto& e : events)
    if (e.value("ev", "") == ev) return true;
  return false;
}

TEST(Gateway, RestOrderEntryPlacesReplacesAndCancels) {
  const std::string sym = server().symbols[1];
  const json book = json::parse(http_request(http::verb::get, "/book/" + sym).body);
  ASSERT_FALSE(book["asks"].empty());
  const Price ask = parse_fixed(book["asks"][0]["price"].get<std::string>()).value_or(0);
  const std::string low = format_fixed(ask * 8 / 10 / 100 * 100, 4), lower = format_fixed(ask * 7 / 10 / 100 * 100, 4);
  auto placed = signed_call(http::verb::post, "key-bjai", "secret-bjai", "/orders",
                            R"({"cl_ord_id":"rest-1","symbol":")" + sym + R"(","side":"buy","price":")" + low + R"(","qty":2})");
  ASSERT_EQ(placed.status, 200) << placed.body;
  json ev = events_of(placed);
  ASSERT_TRUE(has_event(ev, "accepted")) << placed.body;
  const uint64_t id = ev[0]["order_id"];
  auto dup = signed_call(http::verb::post, "key-bjai", "secret-bjai", "/orders",
                         R"({"cl_ord_id":"rest-1","symbol":")" + sym + R"(","side":"buy","price":")" + low + R"(","qty":1})");
  EXPECT_EQ(dup.status, 400);
  EXPECT_EQ(json::parse(dup.body)["reason"], "duplicate_cl_ord_id") << dup.body;
  auto replaced = signed_call(http::verb::patch, "key-bjai", "secret-bjai", "/orders/" + std::to_string(id),
                              R"({"price":")" + lower + R"(","qty":3})");
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_TRUE(has_event(events_of(replaced), "replaced")) << replaced.body;
  auto o = json::parse(signed_get("key-bjai", "secret-bjai", "/orders/" + std::to_string(id)).body)["order"];
  EXPECT_EQ(o["price"], lower);
  EXPECT_EQ(o["leaves"], 3);
  // Another participant cannot cancel it, nor learn that it exists.
  auto theirs = signed_call(http::verb::delete_, "key-nmdc", "secret-nmdc", "/orders/" + std::to_string(id), "");
  ASSERT_EQ(events_of(theirs).size(), 1u) << theirs.body;
  EXPECT_EQ(events_of(theirs)[0]["ev"], "rejected") << "the engine's refusal, as over WebSocket";
  EXPECT_EQ(events_of(theirs)[0]["reason"], "unknown_order") << theirs.body;
  auto cancelled = signed_call(http::verb::delete_, "key-bjai", "secret-bjai", "/orders/" + std::to_string(id), "");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_TRUE(has_event(events_of(cancelled), "cancelled")) << cancelled.body;
  // cancel-all of one symbol.
  for (const char* cl : {"rest-2", "rest-3"})
    ASSERT_TRUE(has_event(events_of(signed_call(http::verb::post, "key-bjai", "secret-bjai", "/orders",
                                                std::string(R"({"cl_ord_id":")") + cl + R"(","symbol":")" + sym +
                                                    R"(","side":"buy","price":")" + lower + R"(","qty":1})")),
                          "accepted"));
  auto all = signed_call(http::verb::post, "key-bjai", "secret-bjai", "/orders/cancel-all", R"({"symbol":")" + sym + R"("})");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_TRUE(has_event(events_of(all), "mass_cancel_done")) << all.body;
  const json open = json::parse(signed_get("key-bjai", "secret-bjai", "/orders?symbol=" + sym).body);
  EXPECT_TRUE(open["orders"].empty()) << open.dump();
  // Refusals: wrong command for the endpoint, unsigned.
  EXPECT_EQ(signed_call(http::verb::post, "key-bjai", "secret-bjai", "/orders", R"({"cmd":"deposit"})").status, 400);
  EXPECT_EQ(signed_call(http::verb::post, "key-bjai", "secret-bjai", "/orders", "[1,2]").status, 400);
  EXPECT_EQ(http_request(http::verb::post, "/orders", R"({"symbol":")" + sym + R"("})").status, 401);
}

// docs/PRODUCT.md §7 over HTTP: indices and bars from the trades the tests above made (NX.H20 5 @ 4.10 ...).
TEST(Gateway, PriceIndicesAndBarsOverHttp) {
  auto idx = http_request(http::verb::get, "/indices?window_hours=48");
  ASSERT_EQ(idx.status, 200) << idx.body;
  const json indices = json::parse(idx.body);
  EXPECT_EQ(indices["window_hours"], 48);
  bool nx = false, national = false;
  for (const auto& i : indices["indices"]) {
    if (i["class"] == "H20" && i["region"] == "NX") nx = i["trades"].get<int>() >= 1;
    if (i["class"] == "H20" && i["region"] == "CN") national = true;
  }
  EXPECT_TRUE(nx && national) << idx.body;
  const std::string sym = server().symbols[2];  // NX.H20 tomorrow: traded in WebSocketOrderAckFillAndMarketData
  auto bars = http_request(http::verb::get, "/bars/" + sym + "?interval=1h&limit=5");
  ASSERT_EQ(bars.status, 200) << bars.body;
  const json b = json::parse(bars.body);
  ASSERT_GE(b["bars"].size(), 1u) << bars.body;
  EXPECT_EQ(b["interval_seconds"], 3600);
  EXPECT_GE(b["bars"][0]["volume"].get<int>(), 5);
  EXPECT_EQ(http_request(http::verb::get, "/bars/" + sym + "?interval=7m").status, 400);
  EXPECT_EQ(http_request(http::verb::get, "/bars/NX.H20.D.2031-01-01").status, 404);
}

// ---- routed orders (docs/PRODUCT.md §3.2) ----

// A participant's row of the operator's balances answer (cash, escrowed_unsettled, open_orders, ...).
json balances(const std::string& code) {
  auto r = admin_request("key-ops1", "secret-ops1", json{{"op", "balances"}, {"participant", code}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  const json b = json::parse(r.body, nullptr, false);
  return b.contains("participants") && !b["participants"].empty() ? b["participants"][0] : json();
}

Money money_of(const json& v) { return v.is_string() ? parse_fixed(v.get<std::string>(), 4).value_or(INT64_MIN) : INT64_MIN; }

// FIX UTCTimestamp of an exchange time, seconds.
std::string fix_utc(Timestamp t) {
  const CivilDate d = civil_from_days(t / kNanosPerDay);
  const int64_t s = t % kNanosPerDay / kNanosPerSecond;
  char b[32];
  std::snprintf(b, sizeof b, "%04d%02d%02d-%02d:%02d:%02d", d.year, d.month, d.day, static_cast<int>(s / 3600),
                static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  return b;
}

// One routed buy over WebSocket sweeps two books, cheapest landed first (GS 3 @ 17.00, then NM 4 @ 18.00
// and 1 @ 18.50; every ask within the landed limit), moving its data from JJJ. The figures, worked by hand:
// transfer to GS = 2000 GB x 0.0325 = 65.00, to NM = 2000 x 0.0200 = 40.00, each fill paying its share by
// SCU: GS 65 x 2967/7912 = 24.375, NM 40 x 3956/7912 = 20, 40 x 989/7912 = 5. Notional 1224 + 1728 + 444 =
// 3396, taker fees (10 bp) 1.224 + 1.728 + 0.444.
TEST(Gateway, WebSocketRoutedOrderSweepsTwoBooksCheapestLandedFirst) {
  const Timestamp start = server().route_day_start, end = start + kNanosPerDay;
  const std::string nm = "NM.H100.D." + cst_date(start), gs = "GS.H100.D." + cst_date(start);
  Ws buyer, feed, watcher;
  ASSERT_TRUE(is_ev(buyer.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_TRUE(is_ev(feed.login("key-bjai", "secret-bjai"), "login"));
  ASSERT_TRUE(is_ev(watcher.login("key-shrender", "secret-shrender"), "login"));
  ASSERT_FALSE(feed.subscribe("orders").is_null());
  ASSERT_FALSE(watcher.subscribe("trades").is_null());
  const json before = balances("BJAI");
  ASSERT_TRUE(before.is_object() && before["cash"].is_string()) << before.dump();

  json order = {{"cmd", "route_order"}, {"cl_ord_id", "ws-r1"}, {"tif", "ioc"}, {"classes", {"H100"}}, {"regions", "any"},
                {"origin", "JJJ"}, {"max_latency_ms", 20}, {"residency", "any"}, {"min_green_share", "0.40"},
                {"data_gb", 2000}, {"scu", 7912}, {"window_start", format_iso_time(start)},
                {"window_end", format_iso_time(end)}, {"limit_cny_per_scu_hour", "0.0190"}, {"id", "r1"}};
  buyer.send(order.dump());
  json done = buyer.read_until([](const json& m) { return is_ev(m, "route_done") || is_ev(m, "error") || is_ev(m, "rejected"); });
  ASSERT_TRUE(is_ev(done, "route_done")) << done.dump();

  // What the session saw, in order: route_accepted, then per book its child's accepted and trades, then route_done.
  std::vector<json> events;
  for (const json& m : buyer.seen)
    if (is_ev(m, "route_accepted") || is_ev(m, "accepted") || is_ev(m, "trade") || is_ev(m, "route_done")) events.push_back(m);
  ASSERT_EQ(events.size(), 7u);
  const json& ra = events[0];
  ASSERT_TRUE(is_ev(ra, "route_accepted")) << ra.dump();
  const int64_t route_id = ra["route_id"].get<int64_t>();
  EXPECT_EQ(ra["cl_ord_id"], "ws-r1");
  EXPECT_EQ(ra["participant"], "BJAI");
  EXPECT_EQ(ra["tif"], "ioc");
  EXPECT_EQ(ra["scu"], 7912);
  EXPECT_EQ(ra["limit_cny_per_scu_hour"], "0.01900000");
  EXPECT_EQ(ra["origin"], "JJJ");
  EXPECT_EQ(ra["data_gb"], 2000);
  struct Fill {
    const char* symbol;
    const char* price;
    int qty;
    int scu;
    const char* transport;
    const char* carrier;
    const char* fee;
  };
  const Fill fills[] = {{"GS", "17.0000", 3, 2967, "24.3750", "CMNET", "1.2240"},
                        {"NM", "18.0000", 4, 3956, "20.0000", "CTNET", "1.7280"},
                        {"NM", "18.5000", 1, 989, "5.0000", "CTNET", "0.4440"}};
  const std::string expected_kinds[] = {"route_accepted", "accepted", "trade", "accepted", "trade", "trade", "route_done"};
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i]["ev"], expected_kinds[i]) << i;
  // The children: one IOC buy per book, carrying the routed order's id and client id, GS first.
  EXPECT_EQ(events[1]["symbol"], gs);
  EXPECT_EQ(events[3]["symbol"], nm);
  for (int i : {1, 3}) {
    EXPECT_EQ(events[i]["route_id"], route_id);
    EXPECT_EQ(events[i]["cl_ord_id"], "ws-r1");
    EXPECT_EQ(events[i]["tif"], "ioc");
    EXPECT_EQ(events[i]["side"], "buy");
  }
  const json* trades[] = {&events[2], &events[4], &events[5]};
  for (size_t i = 0; i < 3; ++i) {
    const json& t = *trades[i];
    SCOPED_TRACE(t.dump());
    EXPECT_EQ(t["symbol"], std::string(fills[i].symbol) + ".H100.D." + cst_date(start));
    EXPECT_EQ(t["price"], fills[i].price);
    EXPECT_EQ(t["qty"], fills[i].qty);
    EXPECT_EQ(t["scu"], fills[i].scu);
    EXPECT_EQ(t["buyer"], "BJAI");
    EXPECT_EQ(t["buy_cl_ord_id"], "ws-r1");
    EXPECT_EQ(t["route_id"], route_id);
    EXPECT_EQ(t["buyer_fee"], fills[i].fee);
    EXPECT_EQ(t["transport_fee"], fills[i].transport);
    ASSERT_EQ(t["transport"].size(), 1u) << "a direct link: one leg";
    EXPECT_EQ(t["transport"][0]["carrier"], fills[i].carrier);
    EXPECT_EQ(t["transport"][0]["amount"], fills[i].transport);
  }
  EXPECT_EQ(done["route_id"], route_id);
  EXPECT_EQ(done["cl_ord_id"], "ws-r1");
  EXPECT_EQ(done["scu"], 7912);
  EXPECT_EQ(done["filled_scu"], 7912);
  EXPECT_EQ(done["devices"], 8);
  EXPECT_EQ(done["children"], 2);
  EXPECT_EQ(done["compute_cost"], "3396.0000");
  EXPECT_EQ(done["fees"], "3.3960");
  EXPECT_EQ(done["transport_cost"], "49.3750");
  EXPECT_EQ(done["reason"], "filled");

  // Its own state (issue 13): by client id, the routed order itself (its children carry the same client
  // id), with its two children; its figures are the route_done's.
  auto mine = signed_get("key-bjai", "secret-bjai", "/orders?cl_ord_id=ws-r1");
  ASSERT_EQ(mine.status, 200) << mine.body;
  const json routed = json::parse(mine.body)["order"];
  EXPECT_EQ(routed["order_id"], route_id);
  EXPECT_EQ(routed["routed"], true);
  EXPECT_EQ(routed["status"], "filled");
  EXPECT_EQ(routed["filled_scu"], 7912);
  EXPECT_EQ(routed["filled"], 8);
  EXPECT_EQ(routed["notional"], "3396.0000");
  EXPECT_EQ(routed["fees"], "3.3960");
  EXPECT_EQ(routed["transport_cost"], "49.3750");
  ASSERT_EQ(routed["child_orders"].size(), 2u) << routed.dump();
  for (const auto& child : routed["child_orders"]) EXPECT_EQ(child["route_id"], route_id);

  // The participant's other session has it on its orders feed; the public prints name no one.
  ASSERT_FALSE(feed.read_until([&](const json& m) { return is_ev(m, "route_done") && m["route_id"] == route_id; }).is_null());
  EXPECT_EQ(std::count_if(feed.seen.begin(), feed.seen.end(), [&](const json& m) { return is_ev(m, "route_accepted") && m["route_id"] == route_id; }), 1);
  int prints = 0;
  watcher.read_until([&](const json& m) {
    if (is_ev(m, "trade") && (m["symbol"] == nm || m["symbol"] == gs)) {
      ++prints;
      EXPECT_FALSE(m.contains("buyer") || m.contains("route_id") || m.contains("transport")) << m.dump();
    }
    return prints == 3;
  });
  EXPECT_EQ(prints, 3);

  // Money: the buyer's cash went to escrow, compute + fees + transport; no order was left open.
  const json after = balances("BJAI");
  const Money paid = 33960000 + 33960 + 493750;  // 3396.0000 + 3.3960 + 49.3750
  EXPECT_EQ(money_of(before["cash"]) - money_of(after["cash"]), paid);
  EXPECT_EQ(money_of(after["escrowed_unsettled"]) - money_of(before["escrowed_unsettled"]), paid);
  EXPECT_EQ(after["open_orders"], before["open_orders"]) << "children never rest";
  const json gs_book = json::parse(http_request(http::verb::get, "/book/" + gs).body);
  EXPECT_TRUE(gs_book["asks"].empty());
  const json nm_book = json::parse(http_request(http::verb::get, "/book/" + nm).body);
  ASSERT_EQ(nm_book["asks"].size(), 1u);
  EXPECT_EQ(nm_book["asks"][0]["price"], "18.5000");
  EXPECT_EQ(nm_book["asks"][0]["qty"], 3);
  EXPECT_NE(http_request(http::verb::get, "/metrics").body.find("cpx_routed_orders_total "), std::string::npos);

  // Refusals, each with its reason: the client id of an open order (BJAI's demo bid), an unknown origin
  // (decoding), and a participant without the buy role (the engine).
  json dup = order;
  dup["cl_ord_id"] = "demo-bid-NM";
  buyer.send(dup.dump());
  json e = buyer.read_until([](const json& m) { return is_ev(m, "error") || is_ev(m, "route_accepted"); });
  EXPECT_EQ(e["reason"], "duplicate_cl_ord_id") << e.dump();
  EXPECT_EQ(e["cmd"], "route_order");
  json bad = order;
  bad["cl_ord_id"] = "ws-r2";
  bad["origin"] = "XX";
  buyer.send(bad.dump());
  e = buyer.read_until([](const json& m) { return is_ev(m, "error") || is_ev(m, "route_accepted"); });
  EXPECT_EQ(e["reason"], "unknown_region") << e.dump();
  EXPECT_EQ(e["id"], "r1");
  Ws seller;
  ASSERT_TRUE(is_ev(seller.login("key-nmdc", "secret-nmdc"), "login"));
  json sell = order;
  sell["cl_ord_id"] = "ws-r3";
  seller.send(sell.dump());
  e = seller.read_until([](const json& m) { return is_ev(m, "rejected") || is_ev(m, "error") || is_ev(m, "route_accepted"); });
  EXPECT_TRUE(is_ev(e, "rejected")) << e.dump();
  EXPECT_EQ(e["cmd"], "route_order");
  EXPECT_EQ(e["cl_ord_id"], "ws-r3");
  EXPECT_EQ(e["reason"], "role_missing");
  EXPECT_EQ(e["text"], "The participant does not hold the role this request needs.");
}

// A routed NewOrderSingle (Symbol ROUTE, constraints in CPX tags).
fixapi::FixMessage routed_order(const std::string& cl, const std::string& scu, const std::string& tif) {
  const Timestamp start = server().route_day_start + kNanosPerDay;  // the FIX tests' day
  fixapi::FixMessage m;
  m.msg_type = "D";
  m.set(11, cl);
  m.set(55, "ROUTE");
  m.set(54, "1");
  m.set(60, "20261125-00:00:00.000");
  m.set(38, scu);
  m.set(40, "2");
  m.set(59, tif);
  m.set(20030, "H100 H800");
  m.set(20031, "NM GS");
  m.set(20032, "JJJ");
  m.set(20033, "20");
  m.set(20034, "CN-NM CN-GS");
  m.set(20035, "0.40");
  m.set(20036, "1000");
  m.set(20022, fix_utc(start));
  m.set(20023, fix_utc(start + kNanosPerDay));
  m.set(20037, "0.0190");
  return m;
}

bool is_report_for(const fixapi::FixMessage& m, const std::string& cl) { return m.msg_type == "8" && m.value(11) == cl; }

// Over FIX the routed order is one order: New (OrderID = the route id), one Trade report per fill in the
// units of the book it filled in, and a final report with the totals. 5000 SCU of H100 need 6 devices
// (ceil(5000/989)): GS 2 @ 17.10 (landed 0.01756), then NM 4 @ 18.20 (0.01857). Transfer 1000 GB from JJJ:
// GS 32.50 x 1978/5000 = 12.857, NM 20.00 x 3022/5000 = 12.088 (the last fill counts only the SCU still
// needed). AvgPx = landed so far / SCU-hours: (820.80 + 12.857) / (1978 x 24) = 0.01756103, then
// (820.80 + 12.857 + 1747.20 + 12.088) / (5934 x 24) = 0.01820684.
TEST(Gateway, FixRoutedOrderIsOneOrderWithItsFillsThenAFokThatCannotFill) {
  const Timestamp start = server().route_day_start + kNanosPerDay;
  const std::string nm = "NM.H100.D." + cst_date(start), gs = "GS.H100.D." + cst_date(start);
  fixapi::FixClient c(fix_settings("BJAI", "bjai", "demo-bjai"));
  ASSERT_EQ(c.start(), "");
  std::string why;
  ASSERT_TRUE(c.wait_logon(5000, &why)) << why;
  fixapi::FixMessage m;

  ASSERT_TRUE(c.send(routed_order("fr-1", "5000", "3")));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return is_report_for(x, "fr-1"); }, m));
  EXPECT_EQ(m.value(150), "0");
  EXPECT_EQ(m.value(39), "0");
  const std::string route_id = m.value(37);
  EXPECT_NE(route_id, "NONE");
  EXPECT_EQ(m.value(55), "ROUTE");
  EXPECT_EQ(m.value(54), "1");
  EXPECT_EQ(m.value(38), "5000") << "OrderQty in SCU";
  EXPECT_EQ(m.value(40), "2");
  EXPECT_EQ(m.value(59), "3");
  EXPECT_EQ(m.value(14), "0");
  EXPECT_EQ(m.value(151), "5000");
  EXPECT_EQ(m.value(6), "0.00000000");
  EXPECT_EQ(m.value(20032), "JJJ");
  EXPECT_EQ(m.value(20036), "1000");
  EXPECT_EQ(m.value(20037), "0.01900000");
  EXPECT_EQ(m.value(20022), fix_utc(start) + ".000");
  EXPECT_EQ(m.value(20023), fix_utc(start + kNanosPerDay) + ".000");

  struct Fill {
    std::string symbol, devices, book_px, cum, leaves, status, avg, scu, transport, notional, fee, per_scu, landed;
  };
  // LastQty SCU and LastPx the fill's landed CNY per SCU-hour, as CumQty and AvgPx: (820.8 + 12.857) /
  // (1978 x 24) = 0.01756103, (1747.2 + 12.088) / (3956 x 24) = 0.01852974; the book's devices and price in
  // CpxBookQty and CpxBookPx.
  const Fill fills[] = {{gs, "2", "17.1000", "1978", "3022", "1", "0.01756103", "1978", "12.8570", "820.8000", "0.8208", "0.01729019", "0.01756103"},
                        {nm, "4", "18.2000", "5934", "0", "2", "0.01820684", "3956", "12.0880", "1747.2000", "1.7472", "0.01840243", "0.01852974"}};
  std::set<std::string> children;
  std::vector<std::string> trade_ids;
  for (const Fill& f : fills) {
    ASSERT_TRUE(next_of(c, [](const auto& x) { return is_report_for(x, "fr-1"); }, m));
    trade_ids.push_back(m.value(20013));
    SCOPED_TRACE(f.symbol);
    EXPECT_EQ(m.value(150), "F");
    EXPECT_EQ(m.value(39), f.status);
    EXPECT_EQ(m.value(37), route_id) << "the routed order's id, not the child's";
    children.insert(m.value(198));
    EXPECT_EQ(m.value(55), f.symbol);
    EXPECT_EQ(m.value(32), f.scu) << "LastQty in SCU, as CumQty";
    EXPECT_EQ(m.value(31), f.landed) << "LastPx in CNY per SCU-hour landed, as AvgPx";
    EXPECT_EQ(m.value(20040), f.devices) << "CpxBookQty: devices of the book";
    EXPECT_EQ(m.value(20046), f.book_px) << "CpxBookPx: CNY per device-hour";
    EXPECT_EQ(m.value(38), "5000");
    EXPECT_EQ(m.value(14), f.cum) << "CumQty in SCU";
    EXPECT_EQ(m.value(151), f.leaves);
    EXPECT_EQ(m.value(6), f.avg);
    EXPECT_EQ(m.value(20041), f.transport);
    EXPECT_EQ(m.value(20010), f.notional);
    EXPECT_EQ(m.value(20011), f.fee);
    EXPECT_EQ(m.value(20012), f.per_scu);
    EXPECT_FALSE(m.value(20013).empty()) << "CpxTradeID";
  }
  EXPECT_EQ(children.size(), 2u) << "one child order per book, in SecondaryOrderID";
  EXPECT_FALSE(children.count(route_id));
  // The last fill is the final report (Trade, Filled; never DoneForDay) and carries the routed order's totals.
  EXPECT_EQ(m.value(150), "F");
  EXPECT_EQ(m.value(39), "2");
  EXPECT_EQ(m.value(37), route_id);
  EXPECT_EQ(m.value(851), "2") << "LastLiquidityInd: a routed order takes liquidity";
  EXPECT_EQ(m.value(14), "5934");
  EXPECT_EQ(m.value(151), "0");
  EXPECT_EQ(m.value(6), "0.01820684");
  EXPECT_EQ(m.value(58), "The whole quantity was bought.");
  EXPECT_EQ(m.value(20001), "filled");
  EXPECT_EQ(m.value(20042), "6");
  EXPECT_EQ(m.value(20043), "2568.0000");
  EXPECT_EQ(m.value(20044), "2.5680");
  EXPECT_EQ(m.value(20045), "24.9450");

  // Its fills over TradeCaptureReportRequest: each in its book's terms, under the routed order's id (the
  // child in SecondaryOrderID) with its transport fee.
  {
    fixapi::FixMessage ack;
    std::vector<fixapi::FixMessage> page;
    ASSERT_TRUE(trade_capture(c, trade_request("fr-1-fills", std::to_string(std::stoull(trade_ids[0]) - 1), "2"), ack, page));
    ASSERT_EQ(page.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      SCOPED_TRACE(fills[i].symbol);
      EXPECT_EQ(page[i].value(20013), trade_ids[i]);
      EXPECT_EQ(page[i].value(55), fills[i].symbol);
      EXPECT_EQ(page[i].value(32), fills[i].devices);
      EXPECT_EQ(page[i].value(31), fills[i].book_px);
      EXPECT_EQ(page[i].value(20041), fills[i].transport);
      const auto side = side_of(page[i]);
      EXPECT_EQ(side.at(37), route_id);
      EXPECT_TRUE(children.count(side.at(198)));
      EXPECT_EQ(side.at(11), "fr-1");
      EXPECT_EQ(side.at(12), fills[i].fee);
      EXPECT_EQ(side.at(381), fills[i].notional);
    }
  }

  // FOK for 9890 SCU (10 devices): only NM's 4 @ 18.60 are left, so nothing trades. New, then Canceled.
  ASSERT_TRUE(c.send(routed_order("fr-2", "9890", "4")));
  ASSERT_TRUE(next_of(c, [](const auto& x) { return is_report_for(x, "fr-2"); }, m));
  EXPECT_EQ(m.value(150), "0");
  EXPECT_EQ(m.value(59), "4");
  ASSERT_TRUE(next_of(c, [](const auto& x) { return is_report_for(x, "fr-2"); }, m));
  EXPECT_EQ(m.value(150), "4") << "no fill reports before the end";
  EXPECT_EQ(m.value(39), "4");
  EXPECT_EQ(m.value(14), "0");
  EXPECT_EQ(m.value(151), "0");
  EXPECT_EQ(m.value(20001), "fok_not_filled");
  EXPECT_EQ(m.value(58), "Fill-or-kill: the whole quantity could not trade at once, nothing traded.");
  EXPECT_EQ(m.value(20042), "0");
  const json nm_book = json::parse(http_request(http::verb::get, "/book/" + nm).body);
  ASSERT_EQ(nm_book["asks"].size(), 1u);
  EXPECT_EQ(nm_book["asks"][0]["price"], "18.6000");
  EXPECT_EQ(nm_book["asks"][0]["qty"], 4) << "the FOK took nothing";

  // Refused by the gateway, each with its reason and a sentence naming the tag.
  const auto refused = [&](fixapi::FixMessage req, const std::string& code, const std::string& tag_named) {
    ASSERT_TRUE(c.send(req));
    ASSERT_TRUE(next_of(c, [&](const auto& x) { return is_report_for(x, req.value(11)); }, m));
    EXPECT_EQ(m.value(150), "8");
    EXPECT_EQ(m.value(39), "8");
    EXPECT_EQ(m.value(37), "NONE");
    EXPECT_EQ(m.value(55), "ROUTE");
    EXPECT_EQ(m.value(103), "99");
    EXPECT_EQ(m.value(20001), code);
    EXPECT_NE(m.value(58).find(tag_named), std::string::npos) << m.value(58);
  };
  fixapi::FixMessage mixed = routed_order("fr-3", "5000", "3");
  for (auto& f : mixed.fields)
    if (f.tag == 20030) f.value = "H100 CPU-X86-64V";
  refused(mixed, "invalid_value", "CpxRouteClasses(20030)");
  fixapi::FixMessage priced = routed_order("fr-4", "5000", "3");
  priced.set(44, "18.00");
  refused(priced, "invalid_price", "CpxLandedLimit(20037)");
  fixapi::FixMessage day = routed_order("fr-5", "5000", "0");
  refused(day, "invalid_order_type", "TimeInForce(59)");
  fixapi::FixMessage no_origin = routed_order("fr-6", "5000", "3");
  std::erase_if(no_origin.fields, [](const auto& f) { return f.tag == 20032; });
  refused(no_origin, "malformed_request", "CpxRouteOrigin(20032)");
  // 65 jurisdictions: more than a routed order's journal record may carry (repeats would be dropped).
  fixapi::FixMessage many = routed_order("fr-6b", "5000", "3");
  std::string names;
  for (int i = 0; i < 65; ++i) names += (i ? " CN-" : "CN-") + std::to_string(i);
  for (auto& f : many.fields)
    if (f.tag == 20034) f.value = names;
  refused(many, "invalid_value", "CpxResidency(20034)");

  // A routed order placed over WebSocket reaches the participant's FIX session as one order too (1 device
  // of NM's 4 @ 18.60), and so does the engine's reject of one (a landed limit beyond the engine's bound).
  Ws ws;
  ASSERT_TRUE(is_ev(ws.login("key-bjai", "secret-bjai"), "login"));
  json wso = {{"cmd", "route_order"}, {"cl_ord_id", "ws-fx"}, {"classes", {"H100"}}, {"origin", "JJJ"}, {"scu", 989},
              {"window_start", format_iso_time(start)}, {"window_end", format_iso_time(start + kNanosPerDay)},
              {"limit_cny_per_scu_hour", "0.0190"}};
  ws.send(wso.dump());
  ASSERT_TRUE(next_of(c, [](const auto& x) { return is_report_for(x, "ws-fx"); }, m));
  EXPECT_EQ(m.value(150), "0");
  EXPECT_EQ(m.value(38), "989");
  ASSERT_TRUE(next_of(c, [](const auto& x) { return is_report_for(x, "ws-fx"); }, m));
  EXPECT_EQ(m.value(150), "F");
  EXPECT_EQ(m.value(55), nm);
  EXPECT_EQ(m.value(32), "989");
  EXPECT_EQ(m.value(31), "0.01880688") << "446.4 / (989 x 24)";
  EXPECT_EQ(m.value(20040), "1");
  EXPECT_EQ(m.value(20046), "18.6000");
  EXPECT_EQ(m.value(20041), "0.0000") << "no data to move";
  EXPECT_EQ(m.value(39), "2") << "its one fill is its final report";
  EXPECT_EQ(m.value(14), "989");
  EXPECT_EQ(m.value(20001), "filled");
  wso["cl_ord_id"] = "ws-fx2";
  wso["limit_cny_per_scu_hour"] = "2000000";
  ws.send(wso.dump());
  ASSERT_TRUE(next_of(c, [](const auto& x) { return is_report_for(x, "ws-fx2"); }, m));
  EXPECT_EQ(m.value(150), "8");
  EXPECT_EQ(m.value(55), "ROUTE");
  EXPECT_EQ(m.value(20001), "invalid_price");
  c.stop();

  // Refused by the engine: a seller may not buy.
  fixapi::FixClient s(fix_settings("NMDC", "nmdc", "demo-nmdc"));
  ASSERT_EQ(s.start(), "");
  ASSERT_TRUE(s.wait_logon(5000, &why)) << why;
  ASSERT_TRUE(s.send(routed_order("fr-7", "5000", "3")));
  ASSERT_TRUE(next_of(s, [](const auto& x) { return is_report_for(x, "fr-7"); }, m));
  EXPECT_EQ(m.value(150), "8");
  EXPECT_EQ(m.value(37), "NONE");
  EXPECT_EQ(m.value(55), "ROUTE");
  EXPECT_EQ(m.value(20001), "role_missing");
  EXPECT_EQ(m.value(58), "The participant does not hold the role this request needs.");
  s.stop();
}

// ---- a FIX client that logs on and then stops reading: raw bytes, because QuickFIX always reads ----
std::string fix_frame(const std::string& body_fields) {
  std::string head = "8=FIX.4.4\x01" "9=" + std::to_string(body_fields.size()) + "\x01";
  std::string msg = head + body_fields;
  unsigned sum = 0;
  for (unsigned char ch : msg) sum += ch;
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  return msg + trailer;
}

class RawFixClient {
 public:
  explicit RawFixClient(int rcvbuf, std::string sender = "SLOW") : sender_(std::move(sender)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(server().config.fix_port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawFixClient() { ::close(fd_); }
  bool send(const std::string& fields) {
    const std::string m = fix_frame(fields);
    return connected_ && ::send(fd_, m.data(), m.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(m.size());
  }
  std::string header(const std::string& type) {
    return "35=" + type + "\x01" "34=" + std::to_string(++seq_) + "\x01" "49=" + sender_ + "\x01" "52=" + fix_utc_now() +
           "\x01" "56=CPX\x01";
  }
  // Reads until `needle` has arrived (true) or the connection ends or the timeout passes (false).
  bool read_until(const std::string& needle, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[65536];
    while (received.find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return received.find(needle) != std::string::npos;
      if (n > 0) received.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Reads everything until the server closes the connection; false on timeout.
  bool read_to_end(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[65536];
    while (std::chrono::steady_clock::now() < deadline) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;  // reset
      if (n > 0) received.append(buf, static_cast<size_t>(n));
    }
    return false;
  }
  // The message that holds `needle` (from "8=FIX" to its checksum), empty when none has arrived.
  std::string message_with(const std::string& needle) const {
    const size_t at = received.find(needle);
    if (at == std::string::npos) return {};
    const size_t start = received.rfind("8=FIX", at);
    const size_t end = received.find("\x01" "10=", at);
    if (start == std::string::npos || end == std::string::npos) return {};
    return received.substr(start, end + 8 - start);
  }
  int seq() const { return seq_; }
  std::string received;

 private:
  std::string sender_;
  int fd_ = -1;
  bool connected_ = false;
  int seq_ = 0;
};

// docs/FIX.md §1: a CompID belongs to one participant. Another participant's user, with the right password,
// is refused with a Logout that says why; the CompID's own user logs on after it.
TEST(Gateway, AFixCompIdTakesOnlyItsOwnParticipantsUsers) {
  {
    RawFixClient intruder(1 << 16, "NMDC");
    ASSERT_TRUE(intruder.send(intruder.header("A") + "98=0\x01" "108=30\x01" "141=Y\x01" "553=bjai\x01" "554=demo-bjai\x01"));
    ASSERT_TRUE(intruder.read_to_end(5000));
    EXPECT_NE(intruder.received.find("\x01" "35=5\x01"), std::string::npos) << intruder.received;
    EXPECT_NE(intruder.received.find("comp_id_not_yours"), std::string::npos) << intruder.received;
    EXPECT_EQ(intruder.received.find("\x01" "35=A\x01"), std::string::npos) << "not logged on: " << intruder.received;
  }
  RawFixClient owner(1 << 16, "NMDC");
  ASSERT_TRUE(owner.send(owner.header("A") + "98=0\x01" "108=30\x01" "141=Y\x01" "553=nmdc\x01" "554=demo-nmdc\x01"));
  ASSERT_TRUE(owner.read_until("\x01" "35=A\x01", 5000)) << owner.received;
  ASSERT_TRUE(owner.send(owner.header("5")));
  EXPECT_TRUE(owner.read_to_end(5000));
}

// docs/FIX.md §1: the dictionary is FIX 4.4's own plus CPX's user-defined tags. Standard fields CPX does not
// use (HandlInst, Text, OnBehalfOfCompID in the header) pass and are ignored; a valid FIX 4.4 message type
// CPX does not take is answered 380=3 with its RefSeqNum; a D without Symbol is refused by CPX, and the
// refusal carries no empty field (a strict client would reject it).
TEST(Gateway, FixTakesStandardFieldsAndAnswersUnsupportedTypesAsTheStandardSays) {
  const std::string sym = server().symbols[1];  // GZ.ASC910B tomorrow: HWCLOUD offers from 9.60
  RawFixClient fix(1 << 20, "JUNK");
  ASSERT_TRUE(fix.send(fix.header("A") + "98=0\x01" "108=30\x01" "141=Y\x01" "553=bjai\x01" "554=demo-bjai\x01"));
  ASSERT_TRUE(fix.read_until("\x01" "35=A\x01", 5000)) << "logon answered";
  ASSERT_TRUE(fix.send(fix.header("D") + "115=DESK7\x01" "11=std-1\x01" "21=1\x01" "38=1\x01" "40=2\x01" "44=9.10\x01"
                       "54=1\x01" "55=" + sym + "\x01" "58=standard fields\x01" "59=1\x01" "60=" + fix_utc_now() + "\x01"));
  ASSERT_TRUE(fix.read_until("\x01" "11=std-1\x01", 5000)) << fix.received;
  const std::string ack = fix.message_with("\x01" "11=std-1\x01");
  EXPECT_NE(ack.find("\x01" "35=8\x01"), std::string::npos) << ack;
  EXPECT_NE(ack.find("\x01" "150=0\x01"), std::string::npos) << "placed, not refused: " << ack;
  EXPECT_EQ(fix.received.find("\x01" "35=3\x01"), std::string::npos) << "no session Reject: " << fix.received;

  ASSERT_TRUE(fix.send(fix.header("8") + "6=0\x01" "14=0\x01" "17=x1\x01" "37=1\x01" "39=0\x01" "54=1\x01" "150=0\x01"
                       "151=1\x01"));
  const int report_seq = fix.seq();
  ASSERT_TRUE(fix.read_until("\x01" "35=j\x01", 5000)) << fix.received;
  const std::string reject = fix.message_with("\x01" "35=j\x01");
  EXPECT_NE(reject.find("\x01" "380=3\x01"), std::string::npos) << reject;
  EXPECT_NE(reject.find("\x01" "372=8\x01"), std::string::npos) << reject;
  EXPECT_NE(reject.find("\x01" "45=" + std::to_string(report_seq) + "\x01"), std::string::npos) << reject;
  // CPX's own BusinessMessageRejects name the request's MsgSeqNum too (an AF for a PartyID, which CPX does
  // not serve).
  ASSERT_TRUE(fix.send(fix.header("AF") + "584=mass-x\x01" "585=8\x01"));
  const int mass_seq = fix.seq();
  ASSERT_TRUE(fix.read_until("\x01" "379=mass-x\x01", 5000)) << fix.received;
  const std::string own = fix.message_with("\x01" "379=mass-x\x01");
  EXPECT_NE(own.find("\x01" "35=j\x01"), std::string::npos) << own;
  EXPECT_NE(own.find("\x01" "45=" + std::to_string(mass_seq) + "\x01"), std::string::npos) << own;
  EXPECT_NE(own.find("\x01" "372=AF\x01"), std::string::npos) << own;

  ASSERT_TRUE(fix.send(fix.header("D") + "11=no-sym\x01" "38=1\x01" "40=2\x01" "44=9.10\x01" "54=1\x01" "60=" +
                       fix_utc_now() + "\x01"));
  ASSERT_TRUE(fix.read_until("\x01" "11=no-sym\x01", 5000)) << fix.received;
  const std::string refused = fix.message_with("\x01" "11=no-sym\x01");
  EXPECT_NE(refused.find("\x01" "39=8\x01"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Symbol(55) is required"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("=\x01"), std::string::npos) << "an empty field: " << refused;

  ASSERT_TRUE(fix.send(fix.header("F") + "11=std-1c\x01" "41=std-1\x01" "54=1\x01" "60=" + fix_utc_now() + "\x01"));
  ASSERT_TRUE(fix.read_until("\x01" "11=std-1c\x01", 5000)) << "the order is cancelled again: " << fix.received;
}

// Issue 13: the reports due when a client's Logout arrives reach it before the Logout answer (an order
// sent just before logging out is acknowledged, not lost with the connection).
TEST(Gateway, ReportsDueBeforeALogoutGoOutBeforeItsAnswer) {
  const std::string sym = server().symbols[1];
  RawFixClient fix(1 << 20, "JUNK");
  ASSERT_TRUE(fix.send(fix.header("A") + "98=0\x01" "108=30\x01" "141=Y\x01" "553=bjai\x01" "554=demo-bjai\x01"));
  ASSERT_TRUE(fix.read_until("\x01" "35=A\x01", 5000)) << "logon answered";
  std::string both = fix.header("D") + "11=bye-1\x01" "38=1\x01" "40=2\x01" "44=" + resting_buy_price(sym) + "\x01" "54=1\x01" "55=" + sym +
                     "\x01" "59=1\x01" "60=" + fix_utc_now() + "\x01";
  ASSERT_TRUE(fix.send(both));
  ASSERT_TRUE(fix.send(fix.header("5")));
  ASSERT_TRUE(fix.read_until("\x01" "35=5\x01", 10000)) << fix.received;
  const size_t report = fix.received.find("\x01" "11=bye-1\x01");
  ASSERT_NE(report, std::string::npos) << "the order's report came: " << fix.received;
  EXPECT_LT(report, fix.received.find("\x01" "35=5\x01")) << "before the Logout answer: " << fix.received;
}

// docs/PRODUCT.md §6: a client that cannot keep up with market data is dropped with a reason, memory stays
// bounded, and everyone else goes on. A WebSocket client and a FIX client subscribe to one book and stop
// reading; the book changes until both have been dropped; a third client reading normally gets every change.
TEST(Gateway, SlowConsumersAreDroppedWithAReasonAndOthersGetEverything) {
  const std::string sym = server().symbols[5];  // YRD.L40S tomorrow
  const auto drops = [] { return server().core->metrics().slow_consumer_drops.load(); };
  const uint64_t drops_before = drops();

  Ws slow(4096);
  ASSERT_TRUE(is_ev(slow.login("key-shrender", "secret-shrender"), "login"));
  ASSERT_FALSE(slow.subscribe("book." + sym).is_null());

  RawFixClient fix(4096);
  ASSERT_TRUE(fix.send(fix.header("A") + "98=0\x01" "108=30\x01" "141=Y\x01" "553=szauto\x01" "554=demo-szauto\x01"));
  ASSERT_TRUE(fix.read_until("\x01" "35=A\x01", 5000)) << "logon answered";
  ASSERT_TRUE(fix.send(fix.header("V") + "262=slow-md\x01" "263=1\x01" "264=5\x01" "267=2\x01" "269=0\x01" "269=1\x01" "146=1\x01" "55=" + sym + "\x01"));
  ASSERT_TRUE(fix.read_until("\x01" "35=W\x01", 5000)) << "snapshot answered";

  // The reader counts the book changes at the flood's price until the closing marker at 1.11.
  Ws reader;
  ASSERT_TRUE(is_ev(reader.login("key-szauto", "secret-szauto"), "login"));
  ASSERT_FALSE(reader.subscribe("book." + sym).is_null());
  int reader_changes = 0;
  bool reader_done = false;
  std::thread reading([&] {
    reader.read_until([&](const json& m) {
      if (!is_ev(m, "book_change")) return false;
      if (m["price"] == "1.1100") return reader_done = true;
      if (m["price"] == "1.0000") ++reader_changes;
      return false;
    }, 120000);
  });

  // Place-and-cancel pairs for BJAI, each command one book change, in rounds until both are dropped.
  int pairs = 0;
  for (int round = 0; round < 40 && drops() < drops_before + 2; ++round) {
    std::vector<std::string> lines;
    for (int i = 0; i < 5000; ++i, ++pairs) {
      const std::string id = "slow-" + std::to_string(pairs);
      lines.push_back(R"({"cmd":"new_order","participant":"BJAI","cl_ord_id":")" + id + R"(","symbol":")" + sym +
                      R"(","side":"buy","price":"1.00","qty":1})");
      lines.push_back(R"({"cmd":"cancel","participant":"BJAI","orig_cl_ord_id":")" + id + R"("})");
    }
    auto ran = server().core->run_admin_requests(lines);
    ASSERT_TRUE(ran.ok()) << ran.error().text;
  }
  EXPECT_EQ(drops(), drops_before + 2) << "both slow clients dropped after " << pairs << " pairs";
  ASSERT_TRUE(server().core->run_admin_requests({R"({"cmd":"new_order","participant":"BJAI","cl_ord_id":"slow-end","symbol":")" +
                                                 sym + R"(","side":"buy","price":"1.11","qty":1})",
                                                 R"({"cmd":"cancel","participant":"BJAI","orig_cl_ord_id":"slow-end"})"}).ok());
  reading.join();
  EXPECT_TRUE(reader_done);
  EXPECT_EQ(reader_changes, 2 * pairs) << "the client that reads gets every change";

  // The WebSocket client finds what was in flight, then the reason, then a policy-violation close.
  json last;
  for (;;) {
    json m = slow.read(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    if (m.is_null()) break;
    last = m;
  }
  EXPECT_TRUE(is_ev(last, "error")) << last.dump();
  EXPECT_EQ(last.value("reason", ""), "slow_consumer");
  EXPECT_EQ(slow.close_code(), 1008) << slow.closed_reason;

  // The FIX client is logged out with the reason in Text(58), then disconnected.
  EXPECT_TRUE(fix.read_to_end(20000)) << "the server closes the connection";
  EXPECT_NE(fix.received.find("\x01" "35=5\x01"), std::string::npos) << "a Logout";
  EXPECT_NE(fix.received.find("58=slow_consumer: more than 1000 messages behind"), std::string::npos);
  EXPECT_EQ(http_request(http::verb::get, "/health").status, 200);
}

}  // namespace
}  // namespace cpx::test
