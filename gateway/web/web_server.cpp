// The only translation unit that includes Boost.Beast: HTTP and WebSocket sessions, plain and TLS, on one
// I/O thread. Requests go to the engine thread as Prepare closures; what comes back (WebItems, released
// only once durable) is routed here to sessions, each with a bounded outbound queue.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <pthread.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "auth/request_auth.hpp"
#include "server/admin_ops.hpp"
#include "json/route_codec.hpp"
#include "query/query_service.hpp"
#include "web/fan_out.hpp"
#include "web/http_routes.hpp"
#include "web/ws_frames.hpp"
#include "server/rate_limiter.hpp"
#include "web/web_gateway.hpp"
#include "web/web_sink.hpp"

namespace cpx::web {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using nlohmann::json;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// Trading requests: the journal already records each one, so they are not audited one by one; every other
// request (reference data, money, listings) goes into the audit log.
bool is_trading_cmd(std::string_view cmd) {
  return cmd == "new_order" || cmd == "route_order" || cmd == "cancel" || cmd == "replace" || cmd == "mass_cancel" ||
         cmd == "delivery_report" || cmd == "dispute";
}

}  // namespace

struct WebGateway::Impl {
  Impl(server::ServerCore& c) : core(c), cfg(c.config()), verifier(c.config().auth_window_ms * 1'000'000) {}

  server::ServerCore& core;
  const server::ServerConfig& cfg;
  net::io_context ioc{1};
  std::optional<ssl::context> tls;
  std::unique_ptr<WebSink> sink;
  std::unique_ptr<query::QueryService> queries;  // engine thread: every query's answer
  std::thread thread;
  std::optional<tcp::acceptor> plain, secure;
  int plain_port = -1, secure_port = -1;

  // One worker for slow operator requests (users, credentials, audit verification), in order.
  std::mutex jobs_mutex;
  std::condition_variable jobs_wake;
  std::deque<std::function<void()>> jobs;
  bool jobs_stopping = false;
  std::thread admin_worker;
  void post_admin_job(std::function<void()> job) {
    {
      std::lock_guard lock(jobs_mutex);
      jobs.push_back(std::move(job));
    }
    jobs_wake.notify_one();
  }
  void run_admin_jobs() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(jobs_mutex);
        jobs_wake.wait(lock, [&] { return jobs_stopping || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      job();
    }
  }

  // I/O thread state.
  FanOut fan_out;
  std::unordered_map<std::string, server::RateLimiter> limits;  // per API key
  auth::RequestVerifier verifier;

  // Engine thread -> I/O thread.
  std::mutex inbox_mutex;
  std::vector<WebItem> inbox;
  bool posted = false;

  void release(std::vector<WebItem>&& items) {
    bool post = false;
    {
      std::lock_guard lock(inbox_mutex);
      if (inbox.empty()) {
        inbox = std::move(items);
      } else {
        inbox.insert(inbox.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
      }
      post = !posted;
      posted = true;
    }
    if (post) net::post(ioc, [this] { drain(); });
  }

  void drain() {
    std::vector<WebItem> items;
    {
      std::lock_guard lock(inbox_mutex);
      items.swap(inbox);
      posted = false;
    }
    for (WebItem& item : items) route(item);
  }

  void route(WebItem& item) { fan_out.route(item); }
  void add_peer(const std::shared_ptr<Peer>& p) { fan_out.add(p); }
  void remove_peer(uint64_t id) { fan_out.remove(id); }

  // Checks an API-key signature from `address`; on success `user` is filled. Failures are throttled per
  // address and per key (refused without a check once the budget is spent), counted and audited (bounded).
  // A success is not on record yet: the caller goes ahead from audit_then's answer.
  auth::AuthResult authenticate(std::string_view key, int64_t ts, std::string_view nonce, std::string_view payload,
                                std::string_view sig, const std::string& where, const std::string& address,
                                server::User& user, std::string& refusal) {
    const int64_t now = server::wall_clock();
    // Throttled per address only: an API key's signature cannot be guessed, and a budget per key would let
    // anyone who knows a key's name lock its owner (an operator too) out.
    const auto attempt = core.login_guard().begin({}, address, auth::LoginGuard::steady_now_ns());
    if (attempt.verdict != auth::LoginVerdict::Allowed) {
      core.metrics().auth_failures.fetch_add(1, std::memory_order_relaxed);
      core.audit_failure(std::string("key:") + std::string(key.substr(0, 32)), "login_failed",
                         where + " from " + address + " " + auth::login_verdict_code(attempt.verdict));
      refusal = std::string(auth::login_verdict_code(attempt.verdict));
      return auth::AuthResult::UnknownKey;
    }
    auto u = core.users().by_api_key(std::string(key));
    auth::AuthResult r = auth::AuthResult::UnknownKey;
    if (u) {
      verifier.set_key(u->api_key, u->api_secret);
      r = verifier.verify(auth::SignedRequest{key, ts, nonce, payload, sig}, now);
    }
    if (r != auth::AuthResult::Ok) {
      core.metrics().auth_failures.fetch_add(1, std::memory_order_relaxed);
      core.audit_failure(u ? u->username : std::string("key:") + std::string(key.substr(0, 32)), "login_failed",
                         where + " from " + address + " " + std::string(auth::reason_code(r)));
      return r;
    }
    core.login_guard().succeeded({}, address);
    user = *u;
    return r;
  }

  // Runs `then(true)` on the I/O thread once the entry is durable, or `then(false)` when the audit log
  // cannot take it (the action is then refused).
  template <class F>
  void on_record(std::string_view actor, std::string_view action, std::string_view detail, F then) {
    core.audit_then(actor, action, detail, [this, then = std::move(then)](bool ok) mutable {
      net::post(ioc, [then = std::move(then), ok]() mutable { then(ok); });
    });
  }

  bool rate_ok(const std::string& api_key) {
    auto it = limits.find(api_key);
    if (it == limits.end()) it = limits.emplace(api_key, server::RateLimiter(cfg.requests_per_s, cfg.burst)).first;
    return it->second.allow(server::wall_clock());
  }

  // Engine-thread half of a login: the participant's id and roles, then the session is bound to it.
  void submit_login(uint64_t session, const server::User& user, std::string id_json, bool reply) {
    core.sequencer().submit(session, [this, session, code = user.participant, username = user.username, id_json, reply](
                                         Timestamp, std::vector<Command>&) {
      const ParticipantId p = core.names().participant(code);
      const Participant* info = core.exchange().engine().participant(p);
      if (!info) {
        sink->logged_in(session, kNoParticipant,
                        error_json("unknown_participant", "the user's participant '" + code + "' is not known", {}, {}, id_json));
        return;
      }
      std::string text;
      if (reply) {
        text = "{\"ev\":\"login\",\"user\":" + json(username).dump() + ",\"participant\":" + json(code).dump() +
               ",\"roles\":" + json(role_list(info->roles)).dump();
        if (!id_json.empty()) text += ",\"id\":" + id_json;
        text += "}";
      }
      sink->logged_in(session, p, std::move(text));
    });
  }

  void cancel_on_disconnect(uint64_t session) {
    core.sequencer().submit(session, [this, session](Timestamp now, std::vector<Command>& out) {
      core.session_orders().cancels_for(session, now, out);
    });
  }
};

// GET /health, answered on the I/O thread from what the other threads publish: 200 when the exchange
// takes requests, 503 with the reasons when it cannot (the journal or the audit log cannot be written).
std::pair<http::status, std::string> health_json(server::ServerCore& core) {
  json problems = json::array();
  if (!core.sequencer().available()) problems.push_back({{"component", "journal"}, {"reason", core.sequencer().unavailable_reason()}});
  const auth::AuditWriter& audit = core.audit_writer();
  if (!audit.healthy()) problems.push_back({{"component", "audit_log"}, {"reason", "the audit log cannot be written: " + audit.problem()}});
  const auto& m = core.metrics();
  json body = {{"status", problems.empty() ? "ok" : "unavailable"},
               {"problems", problems},
               {"durable_seq", core.durable_seq()},
               {"websocket_sessions", m.ws_sessions.load()},
               {"fix_sessions", m.fix_sessions.load()},
               {"connections", core.connections().open()},
               {"connections_refused", m.connections_refused.load()},
               {"audit_entries_lost", audit.lost()},
               {"failed_logins_counted_not_written", audit.suppressed()}};
  return {problems.empty() ? http::status::ok : http::status::service_unavailable, body.dump()};
}

// ---------------------------------------------------------------------------------------------------
// WebSocket session.

template <class Stream>
class WsConn final : public Peer {
 public:
  WsConn(WebGateway::Impl& gw, Stream&& stream, std::string peer, server::ConnectionLimits::Ticket place)
      : gw_(gw),
        ws_(std::move(stream)),
        write_timer_(ws_.get_executor()),
        linger_timer_(ws_.get_executor()),
        login_timer_(ws_.get_executor()) {
    id = gw.core.new_session_id();
    address = std::move(peer);
    ticket = std::move(place);
  }

  void accept(http::request<http::string_body> req) {
    // Beast does the upgrade (within its handshake timeout); after it, cpxd frames the connection itself.
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(30), websocket::stream_base::none(), false});
    ws_.async_accept(req, [self = self()](beast::error_code ec) { self->on_accept(ec); });
  }

  void deliver(const Line& line) override {
    if (closed_ || closing_) return;
    if (out_bytes_ + line->size() + kFrameCost > gw_.cfg.max_outbound_bytes) {
      drop_slow_consumer();
      return;
    }
    queue(line, kWsText);
  }

  void logged_in(ParticipantId p) override {
    login_pending_ = false;
    logged_in_ = p != kNoParticipant;
    if (logged_in_) frames_.raise_max(gw_.cfg.max_frame_bytes);
  }

  // The user's credentials were rotated or the user disabled: this session ends (its orders are then
  // cancelled like any disconnect, unless it asked to keep them).
  void revoke(const std::string& username) override {
    if (closed_ || closing_ || username_ != username || (!logged_in_ && !login_pending_)) return;
    reply(error_json("credentials_revoked", "the user's credentials were rotated or the user was disabled; log in again"));
    close_with(1008, "credentials_revoked");
  }

 private:
  std::shared_ptr<WsConn> self() { return std::static_pointer_cast<WsConn>(shared_from_this()); }

  void on_accept(beast::error_code ec) {
    if (ec) return;
    // A peer that vanished without a word is found by TCP keepalive (about 90 s), as cpxd sends no pings.
    auto& socket = beast::get_lowest_layer(ws_).socket();
    beast::error_code ignored;
    socket.set_option(net::socket_base::keep_alive(true), ignored);
    const int idle = 60, interval = 10, count = 3;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    gw_.add_peer(self());
    gw_.core.metrics().ws_sessions.fetch_add(1, std::memory_order_relaxed);
    registered_ = true;
    // Logged in by then, or closed: an unauthenticated connection holds nothing for long.
    login_timer_.expires_after(std::chrono::milliseconds(server::spread_deadline_ms(gw_.cfg.login_timeout_ms, id)));
    login_timer_.async_wait([self = self()](beast::error_code e) {
      if (e || self->closed_ || self->closing_ || self->logged_in_) return;
      self->gw_.core.metrics().login_timeouts.fetch_add(1, std::memory_order_relaxed);
      self->reply(error_json("login_timeout", "log in within " + std::to_string(self->gw_.cfg.login_timeout_ms) + " ms of connecting"));
      self->close_with(1008, "login_timeout");
    });
    read();
  }

  Stream& raw() { return ws_.next_layer(); }

  void read() {
    raw().async_read_some(net::buffer(rbuf_), [self = self()](beast::error_code ec, size_t n) { self->on_read(ec, n); });
  }

  void on_read(beast::error_code ec, size_t n) {
    if (ec) {
      close_down();
      return;
    }
    if (closing_) {  // our close frame is queued or sent: what the peer still sends is read and dropped
      read();
      return;
    }
    frames_.feed(rbuf_.data(), n);
    std::string msg;
    for (;;) {
      switch (frames_.next(msg)) {
        case WsFrameReader::Got::nothing:
          if (!closed_) read();
          return;
        case WsFrameReader::Got::text:
          handle(std::move(msg));
          break;
        case WsFrameReader::Got::binary:
          reply(error_json("malformed_request", "send requests as text frames of JSON"));
          break;
        case WsFrameReader::Got::ping:
          pong(msg);
          break;
        case WsFrameReader::Got::pong:
          break;
        case WsFrameReader::Got::close:  // answer with the same code, then close
          close_with(ws_close_reply_code(msg), "");
          read();
          return;
        case WsFrameReader::Got::too_big:
          close_with(1009, "message too big");
          read();
          return;
        case WsFrameReader::Got::bad:
          close_with(1002, "protocol error");
          read();
          return;
      }
      if (closed_) return;
      if (closing_) {
        read();
        return;
      }
    }
  }

  // At most one pong waits in the queue, answering the latest ping (RFC 6455 §5.5.3): a client that
  // sends pings and reads nothing cannot make the queue grow.
  void pong(const std::string& payload) {
    auto line = std::make_shared<const std::string>(payload);
    for (auto it = out_.rbegin(); it != out_.rend(); ++it) {
      if (it->opcode != kWsPong) continue;
      out_bytes_ += line->size();
      out_bytes_ -= it->payload->size();
      it->payload = std::move(line);
      return;
    }
    queue(std::move(line), kWsPong);
  }

  void reply(std::string text) { deliver(std::make_shared<const std::string>(std::move(text))); }
  void refuse(RejectReason r, std::string_view text, std::string_view cmd = {}, std::string_view id_json = {}) {
    gw_.core.metrics().reject(r);
    reply(error_json(reason_code(r), text, cmd, {}, id_json));
  }

  void handle(std::string msg) {
    auto& core = gw_.core;
    core.metrics().requests.fetch_add(1, std::memory_order_relaxed);
    if (msg.size() > gw_.cfg.max_message_bytes) {
      refuse(RejectReason::MalformedRequest,
             "a request may be at most " + std::to_string(gw_.cfg.max_message_bytes) + " bytes");
      return;
    }
    json req = json::parse(msg, nullptr, false);
    if (req.is_discarded() || !req.is_object()) {
      refuse(RejectReason::MalformedRequest, req.is_discarded() ? "not valid JSON" : "a request must be a JSON object");
      return;
    }
    std::string id_json;
    if (auto it = req.find("id"); it != req.end()) {
      if (!it->is_string() && !it->is_number_integer()) {
        refuse(RejectReason::MalformedRequest, "field \"id\" must be a string or an integer");
        return;
      }
      id_json = it->dump();
    }
    auto op_it = req.find("op");
    if (op_it != req.end()) {
      if (!op_it->is_string()) {
        refuse(RejectReason::MalformedRequest, "field \"op\" must be a string", {}, id_json);
        return;
      }
      const std::string op = op_it->get<std::string>();
      if (op == "ping") return reply("{\"ev\":\"pong\"" + (id_json.empty() ? "" : ",\"id\":" + id_json) + "}");
      if (!available(id_json)) return;
      if (op == "login") return login(req, id_json);
      if (!logged_in_) return not_logged_in(id_json);
      if (op == "subscribe" || op == "unsubscribe") return subscription(op, req, id_json);
      if (op == "route_quote") {
        if (!gw_.rate_ok(api_key_)) {
          refuse(RejectReason::RateLimited, reason_text(RejectReason::RateLimited), {}, id_json);
          return;
        }
        gw_.core.sequencer().submit(id, [&gw = gw_, session = id, q = query::RouteQuote{req, id_json}](Timestamp, std::vector<Command>&) {
          gw.sink->reply(session, gw.queries->answer(q).body);
        });
        return;
      }
      refuse(RejectReason::MalformedRequest, "unknown op '" + api::shown(op) + "'", {}, id_json);
      return;
    }
    if (req.find("cmd") == req.end()) {
      refuse(RejectReason::MalformedRequest, "a request needs \"op\" or \"cmd\"", {}, id_json);
      return;
    }
    if (!logged_in_) return not_logged_in(id_json);
    if (!gw_.rate_ok(api_key_)) {
      refuse(RejectReason::RateLimited, reason_text(RejectReason::RateLimited), {}, id_json);
      return;
    }
    if (!available(id_json)) return;
    const auto cmd_it = req.find("cmd");
    const std::string cmd = cmd_it->is_string() ? cmd_it->get<std::string>() : std::string();
    if (!is_trading_cmd(cmd)) {
      // Not a trade (the journal records those): on record in the audit log, or not done at all.
      if (!core.audit_writer().healthy()) {
        refuse(RejectReason::Unavailable, "the audit log cannot be written: " + core.audit_writer().problem(), cmd, id_json);
        return;
      }
      // Each is an fsynced audit entry: bounded in rate and in size (the journal has the command itself).
      if (!audited_.allow(server::wall_clock())) {
        refuse(RejectReason::RateLimited, "too many non-trading requests (each is audited): at most 20 a second", cmd, id_json);
        return;
      }
      core.audit(username_, "request", api::shown(msg, 4096));
    }
    // The parsed request travels to the engine thread, which decodes it without parsing it again.
    core.sequencer().submit(id, [&gw = gw_, session = id, acting = participant, request = std::move(req), id_json](
                                    Timestamp now, std::vector<Command>& out) {
      auto c = gw.core.decode_parsed_request(request, now, acting);
      if (!c) {
        gw.core.metrics().reject(c.error().reason);
        gw.sink->reply(session, error_json(c.error(), id_json));
        return;
      }
      out.push_back(std::move(*c));
    });
  }

  // False (and the client told) while the exchange cannot make requests durable: nothing is queued then.
  bool available(const std::string& id_json) {
    if (gw_.core.sequencer().available()) return true;
    gw_.core.metrics().journal_unavailable.fetch_add(1, std::memory_order_relaxed);
    refuse(RejectReason::Unavailable, gw_.core.sequencer().unavailable_reason(), {}, id_json);
    return false;
  }

  void not_logged_in(const std::string& id_json) {
    gw_.core.metrics().auth_failures.fetch_add(1, std::memory_order_relaxed);
    reply(error_json("not_authenticated", "log in first: {\"op\":\"login\",\"key\":...,\"ts\":...,\"nonce\":...,\"sig\":...}",
                     {}, {}, id_json));
  }

  void login(const json& req, const std::string& id_json) {
    if (logged_in_ || login_pending_) {
      refuse(RejectReason::NotAllowed, "this connection is already logged in", {}, id_json);
      return;
    }
    auto str = [&](const char* k) -> std::string {
      auto it = req.find(k);
      return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto ts_it = req.find("ts");
    const int64_t ts = ts_it != req.end() && ts_it->is_number_integer() ? ts_it->get<int64_t>() : 0;
    server::User user;
    std::string throttled;
    const auth::AuthResult r =
        gw_.authenticate(str("key"), ts, str("nonce"), "login", str("sig"), "websocket", address, user, throttled);
    if (!throttled.empty()) {
      reply(error_json(throttled, "too many failed logins; try again later", {}, {}, id_json));
      return;
    }
    if (r != auth::AuthResult::Ok) {
      reply(error_json(auth::reason_code(r), auth::reason_text(r), {}, {}, id_json));
      return;
    }
    api_key_ = user.api_key;
    username_ = user.username;
    // A session may keep its orders when it goes (a command-line order, a GTC quote left on purpose).
    if (auto cod = req.find("cancel_on_disconnect"); cod != req.end() && cod->is_boolean()) cancel_on_disconnect_ = cod->get<bool>();
    login_pending_ = true;
    // On record first: a login the audit log cannot take does not happen.
    gw_.on_record(user.username, "login", "websocket from " + address, [self = self(), user, id_json](bool recorded) {
      if (self->closed_ || !self->login_pending_) return;
      if (!recorded) {
        self->login_pending_ = false;
        self->reply(error_json("unavailable", "the audit log cannot be written; try again later", {}, {}, id_json));
        return;
      }
      self->gw_.submit_login(self->id, user, id_json, true);
    });
  }

  void subscription(const std::string& op, const json& req, const std::string& id_json) {
    auto ch = req.find("channel");
    if (ch == req.end() || !ch->is_string()) {
      refuse(RejectReason::MalformedRequest, "field \"channel\" must be a string", {}, id_json);
      return;
    }
    const std::string channel = ch->get<std::string>();
    size_t depth = 10;
    if (auto d = req.find("depth"); d != req.end()) {
      if (!d->is_number_integer() || d->get<int64_t>() < 1 || d->get<int64_t>() > 1000) {
        refuse(RejectReason::MalformedRequest, "field \"depth\" must be an integer from 1 to 1000", {}, id_json);
        return;
      }
      depth = static_cast<size_t>(d->get<int64_t>());
    }
    const bool is_book = channel.rfind("book.", 0) == 0;
    if (!is_book && channel != "trades" && channel != "instruments" && channel != "orders" && channel != "executions" &&
        channel != "auctions" && channel != "indices" && channel != "monitor") {
      refuse(RejectReason::MalformedRequest,
             "unknown channel '" + api::shown(channel) +
                 "': orders, executions, trades, instruments, auctions, indices, monitor or book.SYMBOL",
             {}, id_json);
      return;
    }
    if (op == "unsubscribe") {
      if (channel == "orders") orders_feed = false;
      if (channel == "executions") executions_feed = false;
      gw_.fan_out.unsubscribe(id, channel);
      reply("{\"ev\":\"unsubscribed\",\"channel\":" + json(channel).dump() + (id_json.empty() ? "" : ",\"id\":" + id_json) + "}");
      return;
    }
    // The snapshot is taken on the engine thread, in sequence with the updates that follow it.
    gw_.core.sequencer().submit(id, [&gw = gw_, session = id, channel, depth, id_json](Timestamp, std::vector<Command>&) {
      std::string head = "{\"ev\":\"subscribed\",\"channel\":" + json(channel).dump();
      if (!id_json.empty()) head += ",\"id\":" + id_json;
      std::string snapshot;
      if (channel.rfind("book.", 0) == 0) {
        const InstrumentId inst = gw.core.names().instrument(channel.substr(5));
        if (inst == kNoInstrument) {
          gw.core.metrics().reject(RejectReason::UnknownInstrument);
          gw.sink->reply(session, error_json("unknown_instrument", "instrument '" + api::shown(channel.substr(5)) + "' is not listed",
                                             {}, {}, id_json));
          return;
        }
        snapshot = gw.sink->book_json(inst, depth);
      } else if (channel == "trades") {
        snapshot = gw.sink->trades_json(kNoInstrument, 50);
      } else if (channel == "instruments") {
        snapshot = gw.sink->instruments_json();
      } else if (channel == "auctions") {
        snapshot = gw.sink->auctions_json(gw.core.auctions());
      } else if (channel == "indices") {
        const Timestamp now = gw.core.exchange().engine().now();
        snapshot = gw.sink->indices_json(gw.core.exchange(), now, 24 * kNanosPerHour);
      } else if (channel == "monitor") {
        const Timestamp day = cst_day_start(gw.core.exchange().engine().now());
        snapshot = gw.sink->monitor_json(gw.core.exchange(), day, day + kNanosPerDay);
      }
      if (!snapshot.empty()) head += ",\"snapshot\":" + snapshot;
      head += "}";
      gw.sink->subscribed(session, channel, std::move(head));
    });
  }

  void queue(const Line& payload, uint8_t opcode) {
    out_.push_back({payload, opcode});
    out_bytes_ += payload->size() + kFrameCost;
    if (!writing_) write();
  }

  // Everything queued (up to a bound) in one gathered write: a frame header and the shared payload each.
  void write() {
    writing_ = true;
    inflight_.clear();
    headers_.clear();
    buffers_.clear();
    size_t bytes = 0;
    while (!out_.empty() && inflight_.size() < 1024 && bytes < (1u << 20)) {
      inflight_.push_back(std::move(out_.front()));
      out_.pop_front();
      bytes += inflight_.back().payload->size() + kFrameCost;
    }
    headers_.resize(inflight_.size());
    for (size_t i = 0; i < inflight_.size(); ++i) {
      const OutFrame& f = inflight_[i];
      const size_t h = ws_frame_header(f.opcode, f.payload->size(), headers_[i].data());
      buffers_.push_back(net::buffer(headers_[i].data(), h));
      buffers_.push_back(net::buffer(*f.payload));
    }
    net::async_write(raw(), buffers_, [self = self(), bytes](beast::error_code ec, size_t) { self->on_write(ec, bytes); });
    // A client that takes nothing for this long is gone or stuck: the connection closes (and its orders
    // are cancelled), instead of holding the write and the queue behind it for ever.
    write_timer_.expires_after(std::chrono::milliseconds(gw_.cfg.ws_write_timeout_ms));
    write_timer_.async_wait([self = self()](beast::error_code ec) {
      if (!ec) self->close_down();
    });
  }

  void on_write(beast::error_code ec, size_t bytes) {
    writing_ = false;
    write_timer_.cancel();
    out_bytes_ -= bytes;
    inflight_.clear();
    if (ec) {
      close_down();
      return;
    }
    if (!out_.empty()) {
      write();
    } else if (closing_ && !closed_) {
      // The close frame is out: end our side and let the peer's close or EOF (or 5 s) finish it. Closing
      // at once would reset the connection if the peer's data is unread, and the peer could lose what we
      // sent last (the reason).
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_send, ignored);
      linger_timer_.expires_after(std::chrono::seconds(5));
      linger_timer_.async_wait([self = self()](beast::error_code e) {
        if (!e) self->close_down();
      });
    }
  }

  // A close frame goes out after what is queued; then the connection closes.
  void close_with(uint16_t code, const std::string& reason) {
    if (closing_ || closed_) return;
    queue(std::make_shared<const std::string>(ws_close_payload(code, reason)), kWsClose);
    closing_ = true;
  }

  // The client does not read fast enough: the queue is cut to the write in flight plus one last message
  // that says why and a close (1008), then the connection is closed. Memory stays bounded whatever the
  // client does.
  void drop_slow_consumer() {
    gw_.core.metrics().slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
    for (const OutFrame& f : out_) out_bytes_ -= f.payload->size() + kFrameCost;
    out_.clear();
    queue(std::make_shared<const std::string>(
              error_json("slow_consumer", "the connection fell more than " + std::to_string(gw_.cfg.max_outbound_bytes) +
                                              " bytes behind its data and is closed")),
          kWsText);
    close_with(1008, "slow_consumer");
    // Not removed here: this runs inside the gateway's loop over a channel's subscribers.
    net::post(raw().get_executor(), [self = self()] { self->gw_.remove_peer(self->id); });
  }

  void close_down() {
    if (closed_) return;
    closed_ = true;
    if (registered_) {
      gw_.remove_peer(id);
      gw_.core.metrics().ws_sessions.fetch_sub(1, std::memory_order_relaxed);
      if (logged_in_ && cancel_on_disconnect_) gw_.cancel_on_disconnect(id);
    }
    write_timer_.cancel();
    linger_timer_.cancel();
    login_timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    ticket.release();
  }

  struct OutFrame {
    Line payload;
    uint8_t opcode;
  };
  static constexpr size_t kFrameCost = 16;  // header and bookkeeping, so that empty frames count too

  WebGateway::Impl& gw_;
  websocket::stream<Stream> ws_;  // the upgrade only; afterwards raw() and the framing above
  std::array<char, 64 * 1024> rbuf_;
  // Until login a message may be small (a login is a few hundred bytes): a connection that has not logged
  // in cannot make the server hold a megabyte.
  WsFrameReader frames_{std::min<size_t>(gw_.cfg.max_frame_bytes, kMaxBeforeLogin)};
  static constexpr size_t kMaxBeforeLogin = 8 * 1024;
  server::RateLimiter audited_{kAuditedPerSecond, kAuditedBurst};  // non-trading requests (each an audit entry)
  static constexpr int64_t kAuditedPerSecond = 20, kAuditedBurst = 200;
  std::deque<OutFrame> out_;
  std::vector<OutFrame> inflight_;
  std::vector<std::array<uint8_t, 10>> headers_;
  std::vector<net::const_buffer> buffers_;
  net::steady_timer write_timer_, linger_timer_, login_timer_;
  size_t out_bytes_ = 0;  // queued and in flight
  bool writing_ = false, closing_ = false, closed_ = false, registered_ = false;
  bool logged_in_ = false, login_pending_ = false;
  bool cancel_on_disconnect_ = gw_.cfg.ws_cancel_on_disconnect;
  std::string api_key_, username_;
};

// ---------------------------------------------------------------------------------------------------
// HTTP session (upgrades to WebSocket on /ws).

template <class Stream>
class HttpConn final : public Peer {
 public:
  HttpConn(WebGateway::Impl& gw, Stream&& stream, std::string peer, server::ConnectionLimits::Ticket place)
      : gw_(gw), stream_(std::move(stream)) {
    id = gw.core.new_session_id();
    address = std::move(peer);
    ticket = std::move(place);
  }

  void run() {
    gw_.add_peer(self());
    gw_.core.metrics().http_connections.fetch_add(1, std::memory_order_relaxed);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(server::spread_deadline_ms(gw_.cfg.http_idle_timeout_ms, id)));
    if constexpr (kIsTls<Stream>) {
      stream_.async_handshake(ssl::stream_base::server, [self = self()](beast::error_code ec) {
        if (ec) return self->finish();
        self->read();
      });
    } else {
      read();
    }
  }

  void deliver(const Line& line) override {
    if (waiting_) lines_.push_back(*line);
  }

  void refused(int http_status) override {
    if (waiting_ && status_ == 0) status_ = http_status;
  }

  void request_done() override {
    if (!waiting_) return;
    waiting_ = false;
    if (status_ == kUserOpProceeds && user_op_) {
      // Password hashing and audit-log reading are slow: never on the engine or the I/O thread.
      gw_.post_admin_job([self = self(), &gw = gw_, req = std::move(*user_op_), actor = actor_] {
        server::AdminAnswer a = server::run_user_op(gw.core, req, actor);
        net::post(gw.ioc, [self, a = std::move(a)]() mutable {
          self->respond(static_cast<http::status>(a.http_status), std::move(a.body));
        });
      });
      user_op_.reset();
    } else if (status_ != 0 && !lines_.empty()) {
      // Refused on the engine thread before anything was applied (unknown symbol, no role, bad request).
      respond(static_cast<http::status>(status_), std::move(lines_[0]));
    } else if (admin_) {
      std::string body = "{\"events\":[";
      for (size_t i = 0; i < lines_.size(); ++i) body += (i ? "," : "") + lines_[i];
      body += "]}";
      respond(http::status::ok, std::move(body));
    } else if (lines_.empty()) {
      respond(http::status::internal_server_error, error_json("unavailable", "no answer"));
    } else {
      respond(http::status::ok, std::move(lines_[0]));
    }
  }

 private:
  std::shared_ptr<HttpConn> self() { return std::static_pointer_cast<HttpConn>(shared_from_this()); }

  void read() {
    parser_.emplace();
    parser_->body_limit(gw_.cfg.max_message_bytes);
    // The whole request (headers and body) within the idle time: a connection that sends nothing, or
    // a byte at a time, is closed.
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(server::spread_deadline_ms(gw_.cfg.http_idle_timeout_ms, id)));
    http::async_read(stream_, buffer_, *parser_, [self = self()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      respond(http::status::payload_too_large,
              error_json("malformed_request", "a request body may be at most " + std::to_string(gw_.cfg.max_message_bytes) + " bytes"));
      return;
    }
    if (ec) return finish();
    req_ = parser_->release();
    keep_alive_ = req_.keep_alive();
    if (websocket::is_upgrade(req_)) {
      if (req_.target() != "/ws") {
        respond(http::status::not_found, error_json("not_found", "WebSocket connections go to /ws"));
        return;
      }
      // The stream moves to the WebSocket session; this HTTP session ends here.
      auto ws = std::make_shared<WsConn<Stream>>(gw_, std::move(stream_), address, std::move(ticket));
      upgraded_ = true;
      finish();
      ws->accept(std::move(req_));
      return;
    }
    handle();
  }

  void handle() {
    auto& core = gw_.core;
    core.metrics().requests.fetch_add(1, std::memory_order_relaxed);
    const auto method = req_.method_string();
    const auto target = req_.target();
    HttpRoute route = route_http({method.data(), method.size()}, {target.data(), target.size()}, req_.body());
    if (const HttpLocal* local = std::get_if<HttpLocal>(&route); local && *local != HttpLocal::Admin) {
      if (*local == HttpLocal::Health) {
        const auto [status, body] = health_json(core);
        respond(status, body);
      } else {
        respond(http::status::ok, core.metrics().prometheus(), "text/plain; version=0.0.4");
      }
      return;
    }
    // Everything below goes to the engine thread, which is holding a batch it cannot write: refused now
    // rather than queued behind it.
    if (!core.sequencer().available()) {
      core.metrics().journal_unavailable.fetch_add(1, std::memory_order_relaxed);
      respond(http::status::service_unavailable, error_json("unavailable", core.sequencer().unavailable_reason()));
      return;
    }
    if (HttpRefusal* refusal = std::get_if<HttpRefusal>(&route)) {
      respond(static_cast<http::status>(refusal->status), std::move(refusal->body));
      return;
    }
    if (std::holds_alternative<HttpLocal>(route)) {  // /admin
      if (req_.method() != http::verb::post) {
        respond(http::status::method_not_allowed, error_json("malformed_request", "POST a JSON request to /admin"));
        return;
      }
      return admin();
    }
    waiting_ = true;
    admin_ = false;
    status_ = 0;
    lines_.clear();
    gw_.core.sequencer().submit(id, [&gw = gw_, session = id, q = std::move(std::get<query::Query>(route))](Timestamp, std::vector<Command>&) {
      query::Answer a = gw.queries->answer(q);
      gw.sink->reply(session, std::move(a.body), a.status == 200 ? 0 : a.status);
    });
  }

  // POST /admin: an operator's request, signed with its API key over "POST /admin\n<body>".
  void admin() {
    auto header = [&](const char* name) { return std::string(req_[name]); };
    const std::string ts_text = header("X-CPX-Timestamp");
    char* end = nullptr;
    const long long ts = std::strtoll(ts_text.c_str(), &end, 10);
    const std::string payload = "POST /admin\n" + req_.body();
    server::User user;
    std::string throttled;
    const auth::AuthResult r =
        gw_.authenticate(header("X-CPX-Key"), (end && *end == 0 && !ts_text.empty()) ? ts : 0, header("X-CPX-Nonce"),
                         payload, header("X-CPX-Signature"), "http", address, user, throttled);
    if (!throttled.empty()) {
      respond(http::status::too_many_requests, error_json(throttled, "too many failed requests; try again later"));
      return;
    }
    if (r != auth::AuthResult::Ok) {
      respond(http::status::unauthorized, error_json(auth::reason_code(r), auth::reason_text(r)));
      return;
    }
    if (!gw_.rate_ok(user.api_key)) {
      gw_.core.metrics().reject(RejectReason::RateLimited);
      respond(http::status::too_many_requests, error_json("rate_limited", reason_text(RejectReason::RateLimited)));
      return;
    }
    waiting_ = true;
    admin_ = true;
    status_ = 0;
    lines_.clear();
    actor_ = user.username;
    json parsed = json::parse(req_.body(), nullptr, false);
    user_op_.reset();
    if (parsed.is_object() && parsed.contains("op") && parsed["op"].is_string() &&
        server::is_user_op(parsed["op"].get<std::string>()))
      user_op_ = std::move(parsed);
    // On record first: an operator's request the audit log cannot take is not carried out.
    gw_.on_record(user.username, "admin_request", req_.body(), [self = self(), user](bool recorded) {
      if (self->finished_) return;
      if (!recorded) {
        self->waiting_ = false;
        self->respond(http::status::service_unavailable,
                      error_json("unavailable", "the audit log cannot be written; nothing was done"));
        return;
      }
      self->submit_admin(user);
    });
  }

  void submit_admin(const server::User& user) {
    gw_.core.sequencer().submit(id, [&gw = gw_, session = id, code = user.participant, actor = user.username,
                                     body = req_.body(), user_op = user_op_](Timestamp now, std::vector<Command>& out) {
      const ParticipantId p = gw.core.names().participant(code);
      const Participant* info = gw.core.exchange().engine().participant(p);
      if (!info || (info->roles & kRoleOperator) == 0) {
        gw.core.metrics().reject(RejectReason::RoleMissing);
        gw.sink->reply(session, error_json("role_missing", "the admin endpoint is for the operator role only"), 403);
        return;
      }
      gw.sink->logged_in(session, p, {});
      if (user_op) {  // the operator may: the rest runs on the admin worker (request_done)
        if (auto refusal = server::check_user_op(gw.core, *user_op)) {
          gw.sink->reply(session, std::move(refusal->body), refusal->http_status);
        } else {
          gw.sink->reply(session, {}, kUserOpProceeds);
        }
        return;
      }
      if (auto op = server::run_admin_op(gw.core, body, actor, now, out)) {
        gw.sink->reply(session, std::move(op->body), op->http_status);
        return;
      }
      auto c = gw.core.decode_session_request(body, now, p);
      if (!c) {
        gw.core.metrics().reject(c.error().reason);
        gw.sink->reply(session, error_json(c.error()), 400);
        return;
      }
      out.push_back(std::move(*c));
    });
  }

  void respond(http::status status, std::string body, const char* type = "application/json") {
    auto res = std::make_shared<http::response<http::string_body>>(status, req_.version() ? req_.version() : 11);
    res->set(http::field::server, "cpxd");
    res->set(http::field::content_type, type);
    res->keep_alive(keep_alive_);
    res->body() = std::move(body);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *res, [self = self(), res](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->finish();
      self->read();
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    gw_.remove_peer(id);
    gw_.core.metrics().http_connections.fetch_sub(1, std::memory_order_relaxed);
    if (upgraded_) return;
    ticket.release();
    beast::error_code ignored;
    if constexpr (kIsTls<Stream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = self()](beast::error_code) {
        beast::error_code e;
        beast::get_lowest_layer(self->stream_).socket().close(e);
      });
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.socket().close(ignored);
    }
  }

  WebGateway::Impl& gw_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> req_;
  std::vector<std::string> lines_;
  bool waiting_ = false, admin_ = false, keep_alive_ = true, upgraded_ = false, finished_ = false;
  static constexpr int kUserOpProceeds = 1;  // not an HTTP status: the engine thread's "go ahead"
  std::optional<json> user_op_;
  std::string actor_;
  int status_ = 0;  // set by a refusal from the engine thread
};

// ---------------------------------------------------------------------------------------------------

namespace {

template <bool Tls>
void accept_loop(WebGateway::Impl& gw, tcp::acceptor& acceptor) {
  acceptor.async_accept(gw.ioc, [&gw, &acceptor](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors (or another accept error): wait a moment instead of spinning on it.
      auto pause = std::make_shared<net::steady_timer>(gw.ioc, std::chrono::milliseconds(100));
      pause->async_wait([&gw, &acceptor, pause](beast::error_code) {
        if (acceptor.is_open()) accept_loop<Tls>(gw, acceptor);
      });
      return;
    }
    beast::error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec);
    const std::string address = peer_ec ? std::string("?") : server::peer_key(peer.address().to_string());
    auto ticket = gw.core.connections().acquire(address);
    if (!ticket || peer_ec) {
      gw.core.metrics().connections_refused.fetch_add(1, std::memory_order_relaxed);
      socket.close(ec);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      if constexpr (Tls) {
        std::make_shared<HttpConn<TlsStream>>(gw, TlsStream(beast::tcp_stream(std::move(socket)), *gw.tls), address,
                                              std::move(ticket))->run();
      } else {
        std::make_shared<HttpConn<beast::tcp_stream>>(gw, beast::tcp_stream(std::move(socket)), address, std::move(ticket))->run();
      }
    }
    accept_loop<Tls>(gw, acceptor);
  });
}

Result<int> listen(WebGateway::Impl& gw, std::optional<tcp::acceptor>& acceptor, int port) {
  beast::error_code ec;
  const auto address = net::ip::make_address(gw.cfg.bind, ec);
  if (ec) return Error{"bad_config", "bind address '" + gw.cfg.bind + "': " + ec.message()};
  acceptor.emplace(gw.ioc);
  const tcp::endpoint ep(address, static_cast<uint16_t>(port));
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Error{"bind_failed", "cannot listen on " + gw.cfg.bind + ":" + std::to_string(port) + ": " + ec.message()};
  return static_cast<int>(acceptor->local_endpoint().port());
}

}  // namespace

WebGateway::WebGateway(server::ServerCore& core) : impl_(std::make_unique<Impl>(core)) {
  Impl& gw = *impl_;
  gw.sink = std::make_unique<WebSink>(core.exchange().engine(), core.names(),
                                      [&gw](std::vector<WebItem>&& items) { gw.release(std::move(items)); });
  gw.sink->set_market(&core.exchange(), &core.auctions());
  gw.queries = std::make_unique<query::QueryService>(core, *gw.sink);
  core.add_listener(gw.sink.get());
  core.add_sink(gw.sink.get());
  core.on_credentials_revoked([&gw](const std::string& username) {
    net::post(gw.ioc, [&gw, username] {
      for (auto& p : gw.fan_out.all()) p->revoke(username);
    });
  });
}

WebGateway::~WebGateway() { stop(); }

Result<bool> WebGateway::start() {
  Impl& gw = *impl_;
  if (gw.cfg.http_port >= 0) {
    auto p = listen(gw, gw.plain, gw.cfg.http_port);
    if (!p) return p.error();
    gw.plain_port = *p;
    accept_loop<false>(gw, *gw.plain);
  }
  if (gw.cfg.https_port >= 0) {
    gw.tls.emplace(ssl::context::tls_server);
    gw.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    gw.tls->use_certificate_chain_file(gw.cfg.tls_cert, ec);
    if (!ec) gw.tls->use_private_key_file(gw.cfg.tls_key, ssl::context::pem, ec);
    if (ec) return Error{"tls_error", "cannot load " + gw.cfg.tls_cert + " / " + gw.cfg.tls_key + ": " + ec.message()};
    auto p = listen(gw, gw.secure, gw.cfg.https_port);
    if (!p) return p.error();
    gw.secure_port = *p;
    accept_loop<true>(gw, *gw.secure);
  }
  gw.admin_worker = std::thread([&gw] {
    pthread_setname_np(pthread_self(), "cpx-web-admin");
    gw.run_admin_jobs();
  });
  gw.thread = std::thread([&gw] {
    pthread_setname_np(pthread_self(), "cpx-web-io");
    auto guard = net::make_work_guard(gw.ioc);
    gw.ioc.run();
  });
  return true;
}

void WebGateway::stop() {
  Impl& gw = *impl_;
  if (gw.admin_worker.joinable()) {  // finishes the jobs it has (their answers may not go out any more)
    {
      std::lock_guard lock(gw.jobs_mutex);
      gw.jobs_stopping = true;
    }
    gw.jobs_wake.notify_one();
    gw.admin_worker.join();
  }
  if (!gw.thread.joinable()) return;
  net::post(gw.ioc, [&gw] {
    beast::error_code ec;
    if (gw.plain) gw.plain->close(ec);
    if (gw.secure) gw.secure->close(ec);
    gw.fan_out.clear();
  });
  // Let the closes go out, then stop whatever is still pending.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  gw.ioc.stop();
  gw.thread.join();
  gw.core.flush_audit();  // a login's audit answer may still be on its way to this (stopped) I/O thread
}

int WebGateway::port() const { return impl_->plain_port; }
int WebGateway::tls_port() const { return impl_->secure_port; }

}  // namespace cpx::web
