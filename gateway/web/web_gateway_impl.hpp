#pragma once
// Internal to the WebSocket/HTTP gateway (web_server.cpp, ws_session.cpp): the gateway's shared state on
// its I/O thread (WebGateway::Impl) and what the HTTP session needs of the WebSocket session. Includes
// Beast: only the gateway's two Beast translation units include it.
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
#include "server/rates_by_key.hpp"
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

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

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
  // Unsigned public queries, per source address (peer_key); the table holds at most this many addresses.
  static constexpr size_t kPublicAddresses = 65536;
  server::RatesByKey public_rates{cfg.public_requests_per_s, cfg.public_burst, kPublicAddresses};
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

  // The application heartbeat (ws_heartbeat_ms): one timer for the gateway, not one per session.
  std::optional<net::steady_timer> heartbeat_timer;
  void heartbeat_tick() {
    heartbeat_timer->expires_after(std::chrono::milliseconds(cfg.ws_heartbeat_ms));
    heartbeat_timer->async_wait([this](beast::error_code ec) {
      if (ec) return;
      fan_out.heartbeat(format_iso_time(server::wall_clock()));
      heartbeat_tick();
    });
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

  // Own-state queries have their own budget per API key (ServerConfig::own_queries_per_s).
  std::unordered_map<std::string, server::RateLimiter> query_limits;
  bool query_ok(const std::string& api_key) {
    auto it = query_limits.find(api_key);
    if (it == query_limits.end())
      it = query_limits.emplace(api_key, server::RateLimiter(cfg.own_queries_per_s, cfg.own_queries_burst)).first;
    return it->second.allow(server::wall_clock());
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

// Takes over an HTTP connection whose request asked to upgrade to a WebSocket on /ws (ws_session.cpp;
// instantiated there for plain and TLS streams).
template <class Stream>
void start_websocket(WebGateway::Impl& gw, Stream&& stream, std::string address, server::ConnectionLimits::Ticket ticket,
                     http::request<http::string_body> request);
extern template void start_websocket<beast::tcp_stream>(WebGateway::Impl&, beast::tcp_stream&&, std::string,
                                                         server::ConnectionLimits::Ticket, http::request<http::string_body>);
extern template void start_websocket<TlsStream>(WebGateway::Impl&, TlsStream&&, std::string, server::ConnectionLimits::Ticket,
                                                http::request<http::string_body>);

}  // namespace cpx::web
