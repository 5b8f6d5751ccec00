// The HTTP side of the WebSocket/HTTP gateway (one of its two Beast translation units, with
// ws_session.cpp): plain and TLS listeners on one I/O thread, HTTP sessions (routed by http_routes, queries
// answered on the engine thread by QueryService, /admin signed), the hand-over of /ws upgrades, and what
// comes back from the engine thread (WebItems, released only once durable) fanned out to sessions.
#include "web/web_gateway_impl.hpp"

namespace cpx::web {

// GET /health, answered on the I/O thread from what the other threads publish: 200 when the exchange
// takes requests, 503 with the reasons when it cannot (the journal or the audit log cannot be written).
std::pair<http::status, std::string> health_json(server::ServerCore& core) {
  json problems = json::array();
  if (!core.sequencer().available()) problems.push_back({{"component", "journal"}, {"reason", core.sequencer().unavailable_reason()}});
  const auth::AuditWriter& audit = core.audit_writer();
  if (!audit.healthy()) problems.push_back({{"component", "audit_log"}, {"reason", "the audit log cannot be written: " + audit.problem()}});
  const auto& m = core.metrics();
  // ready: this node takes orders now (a single node is ready whenever nothing above is wrong).
  json body = {{"status", problems.empty() ? "ok" : "unavailable"},
               {"ready", problems.empty()},
               {"role", "single"},
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
    static const beast::error_category& http_errors = beast::error_code(http::error::end_of_stream).category();
    if (ec && (ec == http::error::end_of_stream || ec.category() != http_errors)) {
      return finish();  // the client left, went quiet (timeout), or the socket failed: nobody to answer
    }
    if (ec) {
      // Bytes that are not an HTTP/1.1 request get a 400 saying so, then the connection closes.
      keep_alive_ = false;
      respond(http::status::bad_request, error_json("malformed_request", "not an HTTP/1.1 request: " + ec.message()));
      return;
    }
    req_ = parser_->release();
    keep_alive_ = req_.keep_alive();
    if (websocket::is_upgrade(req_)) {
      if (req_.target() != "/ws") {
        respond(http::status::not_found, error_json("not_found", "WebSocket connections go to /ws"));
        return;
      }
      // The stream moves to the WebSocket session; this HTTP session ends here.
      upgraded_ = true;
      Stream stream = std::move(stream_);
      auto ticket_moved = std::move(ticket);
      finish();
      start_websocket<Stream>(gw_, std::move(stream), address, std::move(ticket_moved), std::move(req_));
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
    if (HttpOrderEntry* entry = std::get_if<HttpOrderEntry>(&route)) return order_entry(std::move(entry->request));
    if (std::holds_alternative<HttpLocal>(route)) {  // /admin
      if (req_.method() != http::verb::post) {
        respond(http::status::method_not_allowed, error_json("malformed_request", "POST a JSON request to /admin"));
        return;
      }
      return admin();
    }
    query::Query& q = std::get<query::Query>(route);
    if (asker_of(q)) return own(std::move(q));
    if (!gw_.public_rates.allow(address, server::wall_clock())) {
      core.metrics().reject(RejectReason::RateLimited);
      respond(http::status::too_many_requests,
              error_json("rate_limited", "too many public requests from this address: at most " +
                                             std::to_string(gw_.cfg.public_requests_per_s) + " a second on average"));
      return;
    }
    waiting_ = true;
    admin_ = false;
    status_ = 0;
    lines_.clear();
    gw_.core.sequencer().submit(id, [&gw = gw_, session = id, q = std::move(q)](Timestamp, std::vector<Command>&) {
      query::Answer a = gw.queries->answer(q);
      gw.sink->reply(session, std::move(a.body), a.status == 200 ? 0 : a.status);
    });
  }

  // The request's signature (headers X-CPX-Key, -Timestamp, -Nonce, -Signature over
  // "<METHOD> <target>\n<body>"), its throttles and rate limit: the user, or nullopt with the answer sent.
  std::optional<server::User> signed_user(const std::string& payload) {
    auto header = [&](const char* name) { return std::string(req_[name]); };
    const std::string ts_text = header("X-CPX-Timestamp");
    char* end = nullptr;
    const long long ts = std::strtoll(ts_text.c_str(), &end, 10);
    server::User user;
    std::string throttled;
    const auth::AuthResult r =
        gw_.authenticate(header("X-CPX-Key"), (end && *end == 0 && !ts_text.empty()) ? ts : 0, header("X-CPX-Nonce"),
                         payload, header("X-CPX-Signature"), "http", address, user, throttled);
    if (!throttled.empty()) {
      respond(http::status::too_many_requests, error_json(throttled, "too many failed requests; try again later"));
      return std::nullopt;
    }
    if (r != auth::AuthResult::Ok) {
      respond(http::status::unauthorized, error_json(auth::reason_code(r), auth::reason_text(r)));
      return std::nullopt;
    }
    if (!gw_.rate_ok(user.api_key)) {
      gw_.core.metrics().reject(RejectReason::RateLimited);
      respond(http::status::too_many_requests, error_json("rate_limited", reason_text(RejectReason::RateLimited)));
      return std::nullopt;
    }
    return user;
  }

  // GET /orders, /fills, /balances...: a participant's own state, signed; the engine thread answers it
  // for the user's participant (or, for an operator, the participant it names).
  void own(query::Query q) {
    const std::string payload = std::string(req_.method_string()) + " " + std::string(req_.target()) + "\n" + req_.body();
    auto user = signed_user(payload);
    if (!user) return;
    if (!gw_.query_ok(user->api_key)) {
      gw_.core.metrics().reject(RejectReason::RateLimited);
      respond(http::status::too_many_requests,
              error_json("rate_limited", "too many queries of your own state: at most " + std::to_string(gw_.cfg.own_queries_per_s) +
                                             " a second on average (own_queries_per_s)"));
      return;
    }
    waiting_ = true;
    admin_ = false;
    status_ = 0;
    lines_.clear();
    gw_.core.sequencer().submit(id, [&gw = gw_, session = id, code = user->participant, q = std::move(q)](Timestamp, std::vector<Command>&) mutable {
      asker_of(q)->participant = gw.core.names().participant(code);
      query::Answer a = gw.queries->answer(q);
      gw.sink->reply(session, std::move(a.body), a.status == 200 ? 0 : a.status);
    });
  }

  // POST/DELETE/PATCH /orders...: an order request of the signing user's participant, as over WebSocket
  // (decoded on the engine thread, journaled before it is answered); the answer lists the events it caused.
  void order_entry(json request) {
    const std::string payload = std::string(req_.method_string()) + " " + std::string(req_.target()) + "\n" + req_.body();
    auto user = signed_user(payload);
    if (!user) return;
    waiting_ = true;
    admin_ = true;  // answered with the events (request_done)
    status_ = 0;
    lines_.clear();
    user_op_.reset();
    gw_.core.sequencer().submit(id, [&gw = gw_, session = id, code = user->participant, request = std::move(request)](
                                        Timestamp now, std::vector<Command>& out) {
      const ParticipantId p = gw.core.names().participant(code);
      if (p == kNoParticipant) {
        gw.sink->reply(session, error_json("unknown_participant", "the user's participant '" + code + "' is not known"), 403);
        return;
      }
      gw.sink->logged_in(session, p, {});
      auto c = gw.core.decode_parsed_request(request, now, p);
      if (!c) {
        gw.core.metrics().reject(c.error().reason);
        gw.sink->reply(session, error_json(c.error()), 400);
        return;
      }
      out.push_back(std::move(*c));
    });
  }

  // POST /admin: an operator's request, signed with its API key over "POST /admin\n<body>".
  void admin() {
    auto signed_in = signed_user("POST /admin\n" + req_.body());
    if (!signed_in) return;
    const server::User& user = *signed_in;
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
    // When to try again: a rate limit's bucket refills within a second; a login throttle's address
    // budget gets one more attempt every 3 s (docs/OPERATIONS.md, "Logins").
    if (status == http::status::too_many_requests)
      res->set(http::field::retry_after, body.find("too_many_failures") != std::string::npos ? "3" : "1");
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
  if (gw.cfg.ws_heartbeat_ms > 0) {
    gw.heartbeat_timer.emplace(gw.ioc);
    gw.heartbeat_tick();
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
    if (gw.heartbeat_timer) gw.heartbeat_timer->cancel();
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

