// The WebSocket session (one of the gateway's two Beast translation units): login, requests to the
// engine thread, subscriptions, and a bounded outbound queue; cpxd frames the connection itself after
// Beast's upgrade (ws_frames.hpp).
#include "web/http_routes.hpp"
#include "web/own_requests.hpp"
#include "web/web_gateway_impl.hpp"

namespace cpx::web {

namespace {

// Trading requests: the journal already records each one, so they are not audited one by one; every other
// request (reference data, money, listings) goes into the audit log.
bool is_trading_cmd(std::string_view cmd) {
  return cmd == "new_order" || cmd == "route_order" || cmd == "cancel" || cmd == "replace" || cmd == "mass_cancel" ||
         cmd == "delivery_report" || cmd == "dispute";
}


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
      if (is_own_op(op)) return own(op, req, id_json);
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
      gw.sink->request_id(id_json, acting);
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

  // A participant's own state: the engine thread answers for this session's participant.
  void own(const std::string& op, const json& req, const std::string& id_json) {
    if (!gw_.rate_ok(api_key_)) {
      refuse(RejectReason::RateLimited, reason_text(RejectReason::RateLimited), {}, id_json);
      return;
    }
    if (!gw_.query_ok(api_key_)) {
      refuse(RejectReason::RateLimited, "too many queries of your own state: at most " + std::to_string(gw_.cfg.own_queries_per_s) +
                                            " a second on average (own_queries_per_s)", {}, id_json);
      return;
    }
    OwnRequest r = own_request(op, req);
    if (!r.query) {
      refuse(RejectReason::MalformedRequest, r.refusal, {}, id_json);
      return;
    }
    asker_of(*r.query)->participant = participant;
    gw_.core.sequencer().submit(id, [&gw = gw_, session = id, q = std::move(*r.query), id_json](Timestamp, std::vector<Command>&) {
      std::string body = gw.queries->answer(q).body;
      if (!id_json.empty() && body.size() > 1) body.insert(body.size() - 1, ",\"id\":" + id_json);
      gw.sink->reply(session, std::move(body));
    });
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
    size_t depth = 1000;  // a book's snapshot: whole (up to 1000 levels a side) unless asked for less
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
    gw_.core.sequencer().submit(id, [&gw = gw_, session = id, acting = participant, channel, depth, id_json](
                                        Timestamp, std::vector<Command>&) {
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
      } else if (channel == "orders") {
        // The participant's open orders at this point of the stream: the events that follow change them.
        query::OwnOrders open;
        open.who.participant = acting;
        snapshot = gw.queries->answer(open).body;
      } else if (channel == "trades") {
        persistence::TapeQuery newest;
        newest.limit = 50;
        snapshot = gw.sink->trades_json(newest);
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
      // Public channels are numbered: the messages that follow this answer are seq + 1, seq + 2, ...
      if (channel != "orders" && channel != "executions") head += ",\"seq\":" + std::to_string(gw.sink->channel_seq(channel));
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

}  // namespace

template <class Stream>
void start_websocket(WebGateway::Impl& gw, Stream&& stream, std::string address, server::ConnectionLimits::Ticket ticket,
                     http::request<http::string_body> request) {
  auto ws = std::make_shared<WsConn<Stream>>(gw, std::move(stream), std::move(address), std::move(ticket));
  ws->accept(std::move(request));
}

template void start_websocket<beast::tcp_stream>(WebGateway::Impl&, beast::tcp_stream&&, std::string,
                                                  server::ConnectionLimits::Ticket, http::request<http::string_body>);
template void start_websocket<TlsStream>(WebGateway::Impl&, TlsStream&&, std::string, server::ConnectionLimits::Ticket,
                                         http::request<http::string_body>);

}  // namespace cpx::web
