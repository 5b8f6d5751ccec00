// cpxd's gateways against a client that means harm (issue "Hardening"): thousands of idle connections on
// both gateways, connections past the limits, bytes that are no FIX, Logons that guess passwords, logins
// that fail by the hundred. One server for the whole binary, with short deadlines so that the tests see
// them pass; the clients stand for many machines by connecting from many loopback addresses (127.0.0.x).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "auth/crypto.hpp"
#include "auth/request_auth.hpp"
#include "fix/fix_server.hpp"
#include "fix_wire.hpp"
#include "http_client.hpp"
#include "json/config_loader.hpp"
#include "server/demo_market.hpp"
#include "server/server_core.hpp"
#include "web/web_gateway.hpp"
#include "ws_client.hpp"

namespace cpx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int64_t kLoginTimeoutMs = 3000;
constexpr size_t kPerAddress = 64;

struct Server {
  Server() {
    // The test holds both ends of thousands of connections.
    rlimit r{};
    ::getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
    dir = fs::temp_directory_path() / ("cpx-abuse-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    config.data_dir = dir.string();
    config.http_port = 0;
    config.https_port = -1;
    config.fix_port = 0;  // any free port (FixServer::port() says which)
    config.fix_tls_port = -1;
    config.fix_sessions = {{"BJAI", "BJAI"}, {"NMDC", "NMDC"}, {"C1", "BJAI"}, {"C2", "BJAI"}, {"C3", "BJAI"},
                           {"C4", "BJAI"}, {"C5", "OPS1"}};
    config.snapshot_every = 0;
    config.max_connections = 8000;
    config.max_connections_per_address = kPerAddress;
    config.login_timeout_ms = kLoginTimeoutMs;
    config.http_idle_timeout_ms = kLoginTimeoutMs;
    config.login_address_burst = 4;
    config.login_address_refill_ms = 600'000;
    config.login_user_burst = 6;
    config.login_user_refill_ms = 600'000;
    config.fix_logon_checks_per_s = 50;
    config.fix_logon_burst = 50;
    config.audit_failures_per_s = 5;
    config.public_requests_per_s = 1;  // the public-query test's burst runs out at once
    config.public_burst = 10;
    config.own_queries_per_s = 1;  // the own-query test's burst runs out at once
    config.own_queries_burst = 3;
    config.max_outbound_bytes = 1 << 20;   // a client that stops reading reaches it soon
    config.fix_send_timeout_ms = 60'000;   // so that the byte limit, not the write timeout, closes it
    server::fill_defaults(config);
    std::string log;
    auto opened = server::ServerCore::open(config, log);
    EXPECT_TRUE(opened.ok());
    core = std::move(*opened);
    web = std::make_unique<web::WebGateway>(*core);
    fix = std::make_unique<fix::FixServer>(*core);
    core->start();
    auto reference = api::load_reference_requests(config.reference_dir);
    EXPECT_TRUE(reference.ok() && core->run_admin_requests(*reference).ok());
    auto network = api::load_network_requests(config.reference_dir);
    EXPECT_TRUE(network.ok() && core->run_admin_requests(*network).ok());
    EXPECT_TRUE(core->run_admin_requests(server::demo_requests(server::wall_clock())).ok());
    for (const auto& u : server::demo_users()) {
      if (u.participant == "BJAI" || u.participant == "NMDC" || u.participant == "OPS1") {
        EXPECT_TRUE(core->users().put(u.username, u.participant, u.password, u.api_key, u.api_secret).ok());
      }
    }
    EXPECT_TRUE(web->start().ok());
    EXPECT_TRUE(fix->start().ok());
    symbol = server::demo_symbols(server::wall_clock())[2];
  }
  ~Server() {
    fix->stop();
    web->stop();
    core->stop();
    fs::remove_all(dir);
  }
  client::Endpoint web_at(const std::string& source = {}) const { return {"127.0.0.1", web->port(), false, {}, source}; }
  client::Endpoint fix_at(const std::string& source = {}) const { return {"127.0.0.1", fix->port(), false, {}, source}; }

  fs::path dir;
  server::ServerConfig config;
  std::unique_ptr<server::ServerCore> core;
  std::unique_ptr<web::WebGateway> web;
  std::unique_ptr<fix::FixServer> fix;
  std::string symbol;
};

Server& server() {
  static Server s;
  return s;
}

// A TCP connection from `source` (any 127.x.y.z) that sends nothing; -1 when it could not connect.
int idle_connection(const std::string& source, int port, const std::string& dest = "127.0.0.1") {
  return client::connect_socket(client::Endpoint{dest, port, false, {}, source});
}

// True once the server has closed `fd` (end of stream or reset), waiting up to `ms`.
bool closed_by_server(int fd, int ms) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, ms) <= 0) return false;
  char buf[512];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
    if (n < 0) return closed_by_server(fd, ms);
  }
}

std::string address(int i) { return "127.0." + std::to_string(1 + i / 250) + "." + std::to_string(2 + i % 250); }

// A FIX client on the wire (no QuickFIX: the test holds more than 1,024 descriptors, where QuickFIX's own
// client sockets would abort on select()).
struct FixWireClient {
  FixWireClient(const std::string& source, const std::string& comp_id) : writer(comp_id, "CPX") {
    auto c = client::Connection::open(server().fix_at(source));
    if (c) conn = std::move(*c);
  }
  bool send(std::string_view type, const std::string& fields) {
    std::string out;
    writer.append(out, type, fields);
    return conn && conn->write_all(out);
  }
  // The next message, or "" when the connection closed or nothing came in `ms`.
  std::string next(int ms = 5000) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      std::string_view m;
      bool bad = false;
      if (reader.next(m, bad)) return std::string(m);
      if (bad || !conn) return {};
      const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (left <= 0) return {};
      char buf[4096];
      const long n = conn->read_some(buf, sizeof buf, left);
      if (n <= 0) return {};
      reader.feed(buf, static_cast<size_t>(n));
    }
  }
  // Sends a Logon; returns the answer's MsgType and Text ("A" or "5", or "" when closed without one).
  std::pair<std::string, std::string> logon(const std::string& user, const std::string& password) {
    send("A", "98=0\x01" "108=30\x01" "141=Y\x01" "553=" + user + "\x01" "554=" + password + "\x01");
    const std::string m = next();
    return {std::string(client::fix_field(m, 35)), std::string(client::fix_field(m, 58))};
  }
  bool closed(int ms = 5000) { return conn && closed_by_server(conn->fd(), ms); }

  std::unique_ptr<client::Connection> conn;
  client::FixWriter writer;
  client::FixReader reader;
};

json ws_order(const std::string& cl, const std::string& symbol) {
  return {{"cmd", "new_order"}, {"cl_ord_id", cl}, {"symbol", symbol}, {"side", "buy"}, {"price", "3.00"}, {"qty", 1}};
}

// Reads WebSocket messages until one has ev == `ev` (returned) or the connection ends.
json ws_until(client::WsClient& ws, const std::string& ev, int ms = 5000) {
  std::string text;
  while (ws.next(text, ms) == client::WsClient::Read::message) {
    json m = json::parse(text, nullptr, false);
    if (m.is_object() && (m.value("ev", "") == ev || m.value("ev", "") == "error")) return m;
  }
  return json();
}

// Defect 1: once cpxd held about 1,024 descriptors, the next accepted FIX socket aborted the process
// (QuickFIX's select()); 1,000 sockets before Logon also cost 1,012 threads. Now 5,000 idle connections
// across both gateways leave trading on both working, and each is closed at the login deadline.
TEST(Abuse, FiveThousandIdleConnectionsOnBothGatewaysNeitherCrashNorStopTrading) {
  Server& s = server();
  const auto opened_at = Clock::now();
  std::vector<int> fds;
  for (int i = 0; i < 5000; ++i) {
    const int fd = idle_connection(address(i / 50), i % 2 ? s.fix->port() : s.web->port());
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    fds.push_back(fd);
  }
  // All of them held at once (the server accepts them as fast as they come).
  for (int tries = 0; tries < 200 && s.core->connections().open() < 5000; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(s.core->connections().open(), 5000u);
  ASSERT_LT(Clock::now() - opened_at, std::chrono::milliseconds(kLoginTimeoutMs)) << "the test must trade before the deadline";

  // Trading goes on over both gateways, the FIX socket numbered far above 1,024 in the server.
  auto ws = client::WsClient::connect(s.web_at("127.0.100.1"));
  ASSERT_TRUE(ws.ok()) << ws.error().text;
  ASSERT_TRUE((*ws)->login("key-bjai", "secret-bjai").ok());
  ASSERT_TRUE((*ws)->send_text(ws_order("idle-ws-1", s.symbol).dump()));
  EXPECT_EQ(ws_until(**ws, "accepted").value("ev", ""), "accepted");
  FixWireClient fix("127.0.100.2", "BJAI");
  ASSERT_EQ(fix.logon("bjai", "demo-bjai").first, "A");
  fix.send("D", "11=idle-fix-1\x01" "55=" + s.symbol + "\x01" "54=1\x01" "60=20261207-00:00:00.000\x01" "38=1\x01" "40=2\x01"
                "44=3.00\x01" "59=1\x01");
  std::string report;
  while (!(report = fix.next()).empty() && client::fix_field(report, 35) != "8") {
  }
  EXPECT_EQ(client::fix_field(report, 39), "0") << "the order is accepted: " << report;

  // Every idle connection is closed at the login deadline; the logged-in ones stay.
  int closed = 0;
  for (int fd : fds) closed += closed_by_server(fd, static_cast<int>(kLoginTimeoutMs) + 5000) ? 1 : 0;
  EXPECT_EQ(closed, 5000);
  for (int fd : fds) ::close(fd);
  EXPECT_GE(s.core->metrics().login_timeouts.load(), 2500u) << "FIX connections that never logged on";
  EXPECT_FALSE(fix.closed(10));
  ASSERT_TRUE((*ws)->send_text(ws_order("idle-ws-2", s.symbol).dump()));
  EXPECT_EQ(ws_until(**ws, "accepted").value("ev", ""), "accepted");
  auto health = client::http_call(s.web_at(), "GET", "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200) << health->body;
}

// Defect 5: connections were unbounded. Past the per-address limit, a new connection is closed at once;
// other addresses are not affected.
TEST(Abuse, ConnectionsPastThePerAddressLimitAreClosedAtOnce) {
  Server& s = server();
  std::vector<int> fds;
  for (size_t i = 0; i < kPerAddress + 8; ++i) fds.push_back(idle_connection("127.0.200.1", i % 2 ? s.fix->port() : s.web->port()));
  // Those past the limit are closed at once; the others stay until the login deadline (3 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int refused = 0;
  for (int fd : fds) refused += closed_by_server(fd, 0) ? 1 : 0;
  EXPECT_EQ(refused, 8) << "exactly the ones past " << kPerAddress;
  auto other = client::WsClient::connect(s.web_at("127.0.200.2"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)->login("key-bjai", "secret-bjai").ok()) << "another address logs in meanwhile";
  for (int fd : fds) ::close(fd);
}

TEST(Abuse, AnUpgradedWebSocketThatNeverLogsInIsClosedAtTheDeadline) {
  Server& s = server();
  std::vector<std::unique_ptr<client::WsClient>> idle;
  for (int i = 0; i < 20; ++i) {
    auto ws = client::WsClient::connect(s.web_at("127.0.201." + std::to_string(1 + i)));
    ASSERT_TRUE(ws.ok());
    idle.push_back(std::move(*ws));
  }
  for (auto& ws : idle) {
    json m = ws_until(*ws, "never", static_cast<int>(kLoginTimeoutMs) + 5000);
    EXPECT_EQ(m.value("reason", ""), "login_timeout") << m.dump();
  }
}

// Bytes that are not an HTTP request get a 400 that says so, and the connection closes; the next
// request on a new connection is served.
TEST(Abuse, GarbageOnTheHttpPortGetsA400) {
  Server& s = server();
  for (const char* junk : {"\x16\x03\x01\x02garbage\r\n\r\n", "BREW /pot HTCPCP/1.0\r\n\r\n",
                           "GET /health HTTP/1.1\r\nno colon here\r\n\r\n"}) {
    auto c = client::Connection::open(s.web_at("127.0.230.1"));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->write_all(junk));
    std::string got;
    char buf[4096];
    for (long n; (n = (*c)->read_some(buf, sizeof buf, 2000)) > 0;) got.append(buf, static_cast<size_t>(n));
    EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
    EXPECT_NE(got.find("malformed_request"), std::string::npos) << got;
  }
  auto health = client::http_call(s.web_at("127.0.230.1"), "GET", "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
}

// Bytes that are no FIX, or a first message that is no Logon, or CompIDs nobody configured: the
// connection is closed without an answer, and the server carries on.
TEST(Abuse, NoFixFramesAndNoLogonFirstCloseTheConnection) {
  Server& s = server();
  const uint64_t bad_before = s.core->metrics().fix_bad_frames.load();
  {
    auto c = client::Connection::open(s.fix_at("127.0.202.1"));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->write_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_TRUE(closed_by_server((*c)->fd(), 2000));
  }
  {
    auto c = client::Connection::open(s.fix_at("127.0.202.1"));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->write_all("8=FIX.4.4\x01" "9=9999999\x01"));  // a frame far over the limit
    EXPECT_TRUE(closed_by_server((*c)->fd(), 2000));
  }
  EXPECT_EQ(s.core->metrics().fix_bad_frames.load(), bad_before + 2);
  FixWireClient heartbeat_first("127.0.202.1", "C1");
  heartbeat_first.send("0", "");
  EXPECT_TRUE(heartbeat_first.closed(2000)) << "the first message must be a Logon";
  FixWireClient stranger("127.0.202.1", "NOBODY");
  EXPECT_EQ(stranger.logon("x", "y").first, "") << "no session for this CompID: closed without a word";
  EXPECT_TRUE(stranger.closed(2000));
  FixWireClient fine("127.0.202.2", "C2");
  EXPECT_EQ(fine.logon("bjai", "demo-bjai").first, "A") << "the next client is served";
}

// Defect 6: wrong passwords were unthrottled and an unknown user answered 25 times faster than a known
// one. Now the answer and the work are the same, and an address that keeps failing is refused before any
// hashing.
TEST(Abuse, FixLogonGuessesAreThrottledAndTellNothingAboutWhichUsersExist) {
  (void)server();
  auto attempt = [&](const std::string& source, const std::string& comp, const std::string& user,
                     const std::string& password, uint64_t* work) {
    const uint64_t before = auth::pbkdf2_iterations_done();
    FixWireClient c(source, comp);
    auto answer = c.logon(user, password);
    if (answer.first == "5") {
      EXPECT_TRUE(c.closed(3000));
    }
    if (work) *work = auth::pbkdf2_iterations_done() - before;
    return answer;
  };
  uint64_t known_work = 0, unknown_work = 0, locked_work = 0;
  const auto known = attempt("127.0.203.1", "C3", "bjai", "wrong", &known_work);
  const auto unknown = attempt("127.0.203.1", "C3", "no-such-user", "wrong", &unknown_work);
  EXPECT_EQ(known.first, "5");
  EXPECT_EQ(known.second, unknown.second) << "the same refusal for a known and an unknown user";
  EXPECT_NE(known.second.find("bad_credentials"), std::string::npos) << known.second;
  EXPECT_GT(known_work, 0u);
  EXPECT_EQ(known_work, unknown_work) << "the same hashing for both";
  attempt("127.0.203.1", "C3", "x1", "wrong", nullptr);
  attempt("127.0.203.1", "C3", "x2", "wrong", nullptr);
  const auto locked = attempt("127.0.203.1", "C3", "bjai", "demo-bjai", &locked_work);
  EXPECT_EQ(locked.first, "5");
  EXPECT_NE(locked.second.find("too_many_failures_from_address"), std::string::npos) << locked.second;
  EXPECT_EQ(locked_work, 0u) << "refused before any hashing";
  // Another address with the right password is not affected.
  EXPECT_EQ(attempt("127.0.203.2", "C3", "bjai", "demo-bjai", nullptr).first, "A");
  // A user name guessed from many addresses is locked for all of them.
  for (int i = 0; i < 6; ++i) attempt("127.0.204." + std::to_string(1 + i), "C1", "nmdc", "guess", nullptr);
  const auto user_locked = attempt("127.0.204.99", "C1", "nmdc", "guess", nullptr);
  EXPECT_NE(user_locked.second.find("too_many_failures_for_user"), std::string::npos) << user_locked.second;
}

// Issue 13: a 429 says when to try again. Badly signed requests from one address are throttled like
// failed logins; the answer carries Retry-After (3 s: the address's budget of attempts refills by one).
TEST(Abuse, ThrottledSignedRequestsSayWhenToTryAgain) {
  Server& s = server();
  client::HttpReply last;
  for (int i = 0; i < 40 && last.status != 429; ++i) {
    auto r = client::http_call(s.web_at("127.0.220.1"), "GET", "/balances", {},
                               {{"X-CPX-Key", "key-bjai"}, {"X-CPX-Timestamp", std::to_string(client::now_ns())},
                                {"X-CPX-Nonce", client::new_nonce()}, {"X-CPX-Signature", "00"}});
    ASSERT_TRUE(r.ok());
    last = *r;
    if (last.status != 429) {
      EXPECT_EQ(last.status, 401) << last.body;
    }
  }
  ASSERT_EQ(last.status, 429) << "failures from one address are throttled";
  EXPECT_NE(last.body.find("too_many_failures_from_address"), std::string::npos) << last.body;
  EXPECT_NE(last.head.find("Retry-After: 3"), std::string::npos) << last.head;
}

// Public queries (no signature) are answered on the engine thread: without a bound, one address could
// keep it busy for everyone. Each address has its own bucket; signed requests have the key's.
TEST(Abuse, PublicQueriesAreRateLimitedPerAddress) {
  Server& s = server();
  const std::string target = "/book/" + s.symbol;
  client::HttpReply last;
  int answered = 0;
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 30 && last.status != 429; ++i) {
    auto r = client::http_call(s.web_at("127.0.221.1"), "GET", target);
    ASSERT_TRUE(r.ok());
    last = *r;
    if (last.status == 200) ++answered;
  }
  ASSERT_EQ(last.status, 429) << "an address past its burst is refused";
  EXPECT_GE(answered, 10) << "the burst (public_burst) is answered";
  // Then one a second (public_requests_per_s): however slowly the loop ran, no more than that.
  const auto took_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began).count();
  EXPECT_LE(answered, 10 + took_s + 1);
  EXPECT_NE(last.body.find("rate_limited"), std::string::npos) << last.body;
  EXPECT_NE(last.head.find("Retry-After: 1"), std::string::npos) << last.head;
  auto other = client::http_call(s.web_at("127.0.221.2"), "GET", target);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->status, 200) << "another address has its own budget";
  const std::string path = "/balances";
  const int64_t ts = client::now_ns();
  const std::string nonce = client::new_nonce();
  auto own = client::http_call(s.web_at("127.0.221.1"), "GET", path, {},
                               {{"X-CPX-Key", "key-bjai"}, {"X-CPX-Timestamp", std::to_string(ts)}, {"X-CPX-Nonce", nonce},
                                {"X-CPX-Signature", auth::sign_request("secret-bjai", ts, nonce, "GET " + path + "\n")}});
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->status, 200) << "a signed request counts against its key, not the address: " << own->body;
  auto health = client::http_call(s.web_at("127.0.221.1"), "GET", "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200) << "/health is answered on the I/O thread and never limited";
}

// A participant's own-state queries can each list thousands of orders, all built on the engine thread:
// they have a budget of their own per API key (HTTP, WebSocket) and per FIX session (H, AF).
TEST(Abuse, OwnStateQueriesHaveTheirOwnBudget) {
  Server& s = server();
  client::HttpReply last;
  int answered = 0;
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 10 && last.status != 429; ++i) {
    const int64_t ts = client::now_ns();
    const std::string nonce = client::new_nonce();
    auto r = client::http_call(s.web_at("127.0.222.1"), "GET", "/orders", {},
                               {{"X-CPX-Key", "key-nmdc"}, {"X-CPX-Timestamp", std::to_string(ts)}, {"X-CPX-Nonce", nonce},
                                {"X-CPX-Signature", auth::sign_request("secret-nmdc", ts, nonce, "GET /orders\n")}});
    ASSERT_TRUE(r.ok());
    last = *r;
    if (last.status == 200) ++answered;
  }
  ASSERT_EQ(last.status, 429) << last.body;
  EXPECT_GE(answered, 3) << "the burst (own_queries_burst)";
  const auto took_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began).count();
  EXPECT_LE(answered, 3 + took_s + 1) << "then one a second (own_queries_per_s)";
  EXPECT_NE(last.body.find("own_queries_per_s"), std::string::npos) << last.body;

  FixWireClient fix("127.0.222.2", "C5");
  ASSERT_EQ(fix.logon("ops1", "demo-ops1").first, "A");
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(fix.send("AF", "584=af-" + std::to_string(i) + "\x01" "585=7\x01"));
  bool limited = false;
  for (std::string m = fix.next(); !m.empty() && !limited; m = fix.next(2000))
    limited = client::fix_field(m, 35) == "j" && client::fix_field(m, 20001) == "rate_limited";
  EXPECT_TRUE(limited) << "an AF past the session's budget is refused";
  // Fills (AD) and balances (BB) draw on the same budget; a refused AD is answered with its own ack.
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(fix.send("AD", "568=ad-" + std::to_string(i) + "\x01" "569=0\x01"));
  limited = false;
  for (std::string m = fix.next(); !m.empty() && !limited; m = fix.next(2000))
    limited = client::fix_field(m, 35) == "AQ" && client::fix_field(m, 750) == "2" && client::fix_field(m, 20001) == "rate_limited";
  EXPECT_TRUE(limited) << "an AD past the session's budget is refused";
}

// Defect 3: every failed login was written and fsynced on the I/O thread, without bound. Now failures are
// throttled per address, and past audit_failures_per_s they are counted and summarised, not written.
TEST(Abuse, FailedWebSocketLoginsAreThrottledAndTheirAuditIsBounded) {
  Server& s = server();
  const uint64_t suppressed_before = s.core->audit_writer().suppressed();
  int refused_unseen = 0, throttled = 0;
  for (int i = 0; i < 60; ++i) {
    auto ws = client::WsClient::connect(s.web_at("127.0.205." + std::to_string(1 + i / 6)));
    ASSERT_TRUE(ws.ok());
    auto answer = (*ws)->login("key-nobody-" + std::to_string(i), "secret");
    ASSERT_FALSE(answer.ok());
    if (answer.error().text.find("too_many_failures_from_address") != std::string::npos) {
      ++throttled;
    } else if (answer.error().text.find("unknown_api_key") != std::string::npos) {
      ++refused_unseen;
    }
  }
  EXPECT_EQ(refused_unseen, 40) << "four failures per address are checked";
  EXPECT_EQ(throttled, 20) << "the rest are refused unchecked";
  s.core->flush_audit();
  EXPECT_GT(s.core->audit_writer().suppressed(), suppressed_before);
  std::ifstream in(s.dir / "audit.log");
  int failures_written = 0;
  for (std::string line; std::getline(in, line);) failures_written += line.find("\"login_failed\"") != std::string::npos;
  EXPECT_LT(failures_written, 60) << "not one entry per failure";
}

// What QuickFIX's own transport did for a logged-on session, cpxd's does too (QuickFIX's acceptance
// definitions 2d, 2i and SessionReset): a garbled message is ignored, another FIX version gets a Logout
// "Incorrect BeginString", a second Logon with ResetSeqNumFlag resets the sequence numbers.
TEST(Abuse, ALoggedOnSessionIgnoresGarbledBytesAndMayResetItsSequence) {
  Server& s = server();
  FixWireClient c("127.0.207.1", "C2");
  ASSERT_EQ(c.logon("bjai", "demo-bjai").first, "A");
  // Garbled: a wrong checksum, then junk; the session reads on.
  std::string garbled;
  client::FixWriter other("C2", "CPX");
  other.append(garbled, "0", "");
  garbled[garbled.size() - 2] = garbled[garbled.size() - 2] == '0' ? '1' : '0';
  ASSERT_TRUE(c.conn->write_all(garbled + "no fix at all"));
  c.writer = client::FixWriter("C2", "CPX");  // (its own seq numbers: the garbled one did not count)
  c.send("A", "98=0\x01" "108=30\x01" "141=Y\x01" "553=bjai\x01" "554=demo-bjai\x01");  // reset to 1
  const std::string answer = c.next();
  EXPECT_EQ(client::fix_field(answer, 35), "A") << answer;
  EXPECT_EQ(client::fix_field(answer, 141), "Y");
  c.send("1", "112=after-reset\x01");
  std::string hb;
  while (!(hb = c.next()).empty() && client::fix_field(hb, 35) != "0") {
  }
  EXPECT_EQ(client::fix_field(hb, 112), "after-reset") << "the TestRequest is answered: the session is alive";
  // Another FIX version: QuickFIX's Logout.
  std::string old_version;
  client::FixWriter w("C2", "CPX");
  w.append(old_version, "1", "112=x\x01");
  old_version.replace(0, 9, "8=FIX.4.1");
  unsigned sum = 0;
  for (size_t i = 0; i + 7 < old_version.size(); ++i) sum += static_cast<uint8_t>(old_version[i]);
  char trailer[8];
  std::snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
  old_version.replace(old_version.size() - 7, 7, trailer);
  ASSERT_TRUE(c.conn->write_all(old_version));
  std::string logout;
  while (!(logout = c.next()).empty() && client::fix_field(logout, 35) != "5") {
  }
  EXPECT_EQ(client::fix_field(logout, 58), "Incorrect BeginString") << logout;
  (void)s;
}

// A Logon being checked does not hold its CompID: a guesser cannot keep the CompID's owner out by sending
// Logons for it (the session becomes a connection's only when its Logon is accepted).
TEST(Abuse, LogonsBeingCheckedDoNotKeepTheCompIdFromItsOwner) {
  FixWireClient guesser("127.0.208.1", "C4");
  guesser.send("A", "98=0\x01" "108=30\x01" "553=bjai\x01" "554=not-it\x01");
  FixWireClient owner("127.0.208.2", "C4");
  const auto answer = owner.logon("bjai", "demo-bjai");  // checked while the guess is (same worker, after it)
  EXPECT_EQ(answer.first, "A") << answer.second;
  const std::string refused = guesser.next();
  EXPECT_EQ(client::fix_field(refused, 35), "5");
  EXPECT_NE(client::fix_field(refused, 58).find("bad_credentials"), std::string::npos) << refused;
  // Once the owner is logged on, another Logon for its CompID is closed at once, without a check.
  FixWireClient second("127.0.208.3", "C4");
  EXPECT_EQ(second.logon("bjai", "demo-bjai").first, "");
  EXPECT_TRUE(second.closed(2000));
  EXPECT_FALSE(owner.closed(10)) << "the owner's session is untouched";
}

// A session that is dropped (here: its user's credentials are rotated) and ignores the Logout is closed a
// few seconds later, and nothing it sends meanwhile is taken — with HeartBtInt 0 QuickFIX alone would
// wait for ever. (Found in review.)
TEST(Abuse, ADroppedSessionThatIgnoresItsLogoutIsClosedAndTakesNoOrders) {
  Server& s = server();
  ASSERT_TRUE(s.core->users().put("cutoff", "BJAI", "pw-1", "key-cutoff", "secret-cutoff").ok());
  FixWireClient c("127.0.209.1", "C1");
  c.send("A", "98=0\x01" "108=0\x01" "141=Y\x01" "553=cutoff\x01" "554=pw-1\x01");
  ASSERT_EQ(client::fix_field(c.next(), 35), "A");
  const uint64_t accepted_before = s.core->metrics().orders_accepted.load();
  ASSERT_TRUE(s.core->users().put("cutoff", "BJAI", "pw-2", "key-cutoff2", "secret-cutoff2").ok());
  s.core->credentials_revoked("cutoff");
  std::string logout;
  while (!(logout = c.next()).empty() && client::fix_field(logout, 35) != "5") {
  }
  EXPECT_NE(client::fix_field(logout, 58).find("credentials_revoked"), std::string::npos) << logout;
  // It does not answer the Logout and keeps sending orders.
  c.send("D", "11=after-revoke\x01" "55=" + s.symbol + "\x01" "54=1\x01" "60=20261207-00:00:00.000\x01" "38=1\x01" "40=2\x01"
              "44=3.00\x01" "59=1\x01");
  EXPECT_TRUE(c.closed(10'000)) << "closed within the grace period";
  EXPECT_EQ(s.core->metrics().orders_accepted.load(), accepted_before) << "no order after the drop";
}

// A client that stops reading while the session keeps sending: past max_outbound_bytes the connection is
// closed and counted as a slow consumer (QuickFIX alone would count the messages as sent and go on).
TEST(Abuse, AFixClientThatDoesNotReadIsClosedAtTheByteLimit) {
  Server& s = server();
  const uint64_t drops_before = s.core->metrics().slow_consumer_drops.load();
  FixWireClient c("127.0.210.1", "C2");
  ASSERT_EQ(c.logon("bjai", "demo-bjai").first, "A");
  const int rcvbuf = 4096;
  ::setsockopt(c.conn->fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  std::string burst;
  for (int i = 0; i < 3000; ++i) c.writer.append(burst, "x", "320=sl" + std::to_string(i) + "\x01" "559=4\x01");
  c.conn->write_all(burst);  // each answer is the whole security list; nothing is read
  bool dropped = false;
  for (int i = 0; i < 300 && !dropped; ++i) {
    dropped = s.core->metrics().slow_consumer_drops.load() > drops_before;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(dropped);
}

// An authenticated client cannot make the server keep an unbounded queue of messages ahead of a gap, nor
// flood the session level (heartbeats and the like, which no application rate limit sees).
TEST(Abuse, SequenceNumbersFarAheadOrAFloodOfSessionMessagesCloseTheConnection) {
  FixWireClient ahead("127.0.211.1", "C3");
  ASSERT_EQ(ahead.logon("bjai", "demo-bjai").first, "A");
  client::FixWriter far("C3", "CPX");
  std::string jump;
  for (int i = 0; i < 5000; ++i) far.append(jump, "0", "");  // seq 1..5000 of a writer that skipped ahead
  std::string last;
  far.append(last, "0", "");
  ASSERT_TRUE(ahead.conn->write_all(last.substr(0)));  // (its seq is 5001: 5000 ahead of the expected 2)
  EXPECT_TRUE(ahead.closed(5000));

  FixWireClient flood("127.0.211.2", "C3");
  ASSERT_EQ(flood.logon("bjai", "demo-bjai").first, "A");
  std::string many;
  for (int i = 0; i < 20'000; ++i) flood.writer.append(many, "0", "");
  flood.conn->write_all(many);
  EXPECT_TRUE(flood.closed(10'000)) << "more frames than frames_burst at once";
}

// Resends are gap fills (the server keeps no messages to resend), and the ResendRequest's own MsgSeqNum
// counts: QuickFIX's PersistMessages=N path forgot it, so the next message was answered with a
// ResendRequest for it (FIX acceptance test 8_OnlyAdminMessages).
TEST(Abuse, AResendIsAGapFillAndTheSessionKeepsCounting) {
  FixWireClient c("127.0.211.3", "C2");
  ASSERT_EQ(c.logon("bjai", "demo-bjai").first, "A");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("1", "112=HELLO\x01"));
    const std::string hb = c.next();
    EXPECT_EQ(client::fix_field(hb, 35), "0") << hb;
  }
  ASSERT_TRUE(c.send("2", "7=1\x01" "16=0\x01"));
  const std::string reset = c.next();
  EXPECT_EQ(client::fix_field(reset, 35), "4") << reset;
  EXPECT_EQ(client::fix_field(reset, 123), "Y") << reset;
  EXPECT_EQ(client::fix_field(reset, 34), "1") << reset;
  EXPECT_EQ(client::fix_field(reset, 36), "5") << reset;
  ASSERT_TRUE(c.send("1", "112=AGAIN\x01"));
  const std::string after = c.next();
  EXPECT_EQ(client::fix_field(after, 35), "0") << "the server asked for the ResendRequest back: " << after;
  EXPECT_EQ(client::fix_field(after, 112), "AGAIN") << after;
  EXPECT_EQ(client::fix_field(after, 34), "5") << after;
}

// An API key's name is no secret: failed signatures from anywhere must not lock its owner out (only the
// addresses that fail are throttled). (Found in review.)
TEST(Abuse, BadSignaturesForAKeyDoNotLockItsOwnerOut) {
  Server& s = server();
  for (int i = 0; i < 12; ++i) {
    auto ws = client::WsClient::connect(s.web_at("127.0.212." + std::to_string(1 + i)));
    ASSERT_TRUE(ws.ok());
    EXPECT_FALSE((*ws)->login("key-ops1", "not-the-secret").ok());
  }
  auto owner = client::WsClient::connect(s.web_at("127.0.212.200"));
  ASSERT_TRUE(owner.ok());
  auto answer = (*owner)->login("key-ops1", "secret-ops1");
  EXPECT_TRUE(answer.ok()) << (answer.ok() ? "" : answer.error().text);
}

// Before login a WebSocket message may be small: an unauthenticated connection cannot make the server
// hold a megabyte. (Found in review.)
TEST(Abuse, ABigMessageBeforeLoginClosesTheConnection) {
  Server& s = server();
  auto ws = client::WsClient::connect(s.web_at("127.0.213.1"));
  ASSERT_TRUE(ws.ok());
  ASSERT_TRUE((*ws)->send_text(std::string(100'000, ' ')));
  std::string text;
  while ((*ws)->next(text, 5000) == client::WsClient::Read::message) {
  }
  EXPECT_EQ((*ws)->close_code(), 1009) << "message too big";
}

TEST(Abuse, TheFixAcceptorListensOnlyOnItsBindAddress) {
  Server& s = server();
  const int fd = idle_connection("127.0.206.1", s.fix->port(), "127.0.0.2");
  EXPECT_EQ(fd, -1) << "bound to 127.0.0.1 only (QuickFIX's acceptor bound every interface)";
  if (fd >= 0) ::close(fd);
}

}  // namespace
}  // namespace cpx::test
