// The only translation unit of the FIX gateway that includes Asio (see fix_transport.hpp).
#include "fix/fix_transport.hpp"

#include <pthread.h>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <array>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "fix/fix_framing.hpp"
#include "server/rate_limiter.hpp"
#include "server/sequencer.hpp"

namespace cpx::fix {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;
  virtual void start() = 0;
  virtual void request_close() = 0;  // I/O thread
  virtual void finish() = 0;         // I/O thread: closes now

  enum class Queued { yes, closing, too_far_behind };
  // Any thread: queue bytes.
  Queued queue(const std::string& bytes, size_t max_bytes, net::io_context& ioc) {
    bool post = false;
    {
      std::lock_guard lock(out_mutex_);
      if (close_requested_ || finished_) return Queued::closing;
      if (out_bytes_ + bytes.size() > max_bytes) return Queued::too_far_behind;
      queued_ += bytes;
      out_bytes_ += bytes.size();
      post = !post_pending_;
      post_pending_ = true;
    }
    if (post) net::post(ioc, [self = shared_from_this()] { self->write_next(); });
    return Queued::yes;
  }

  uint64_t id = 0;

 protected:
  virtual void write_next() = 0;

  std::mutex out_mutex_;
  std::string queued_;     // guarded by out_mutex_
  size_t out_bytes_ = 0;   // queued and in flight, guarded
  bool post_pending_ = false;
  bool close_requested_ = false;
  bool finished_ = false;
};

}  // namespace

struct FixTransport::Impl {
  Impl(FixTransportSettings s, server::ConnectionLimits& l, server::Metrics& m, std::function<uint64_t()> ids)
      : settings(std::move(s)), limits(l), metrics(m), new_id(std::move(ids)) {}

  FixTransportSettings settings;
  server::ConnectionLimits& limits;
  server::Metrics& metrics;
  std::function<uint64_t()> new_id;
  fixapi::FixEngine* engine = nullptr;
  net::io_context ioc{1};
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> plain, secure;
  int plain_port = -1, secure_port = -1;
  std::optional<net::steady_timer> ticker;
  std::thread thread;

  std::mutex conns_mutex;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> conns;

  std::shared_ptr<Connection> find(uint64_t id) {
    std::lock_guard lock(conns_mutex);
    auto it = conns.find(id);
    return it == conns.end() ? nullptr : it->second;
  }

  void accept(tcp::acceptor& acceptor, bool tls);
  void tick();
};

namespace {

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, ssl::stream<tcp::socket>>;

template <class Stream>
class Conn final : public Connection {
 public:
  Conn(FixTransport::Impl& t, Stream&& stream, std::string address, server::ConnectionLimits::Ticket ticket)
      : t_(t),
        stream_(std::move(stream)),
        address_(std::move(address)),
        ticket_(std::move(ticket)),
        framer_(t.settings.max_logon_bytes),
        limiter_(t.settings.frames_per_s, t.settings.frames_burst),
        deadline_(t.ioc),
        write_timer_(t.ioc) {}

  void start() override {
    {
      std::lock_guard lock(t_.conns_mutex);
      t_.conns[id] = shared_from_this();
    }
    t_.metrics.fix_connections.fetch_add(1, std::memory_order_relaxed);
    t_.engine->opened(id, kIsTls<Stream>, address_);
    // Logged on by then, or closed: a connection that never logs on holds nothing for long.
    deadline_.expires_after(std::chrono::milliseconds(server::spread_deadline_ms(t_.settings.login_timeout_ms, id)));
    deadline_.async_wait([self = self()](error_code ec) {
      if (ec || self->done_) return;
      if (!self->t_.engine->logged_on(self->id)) {
        self->t_.metrics.login_timeouts.fetch_add(1, std::memory_order_relaxed);
        self->finish();
      }
    });
    if constexpr (kIsTls<Stream>) {
      stream_.async_handshake(ssl::stream_base::server, [self = self()](error_code ec) {
        if (ec) return self->finish();
        self->read();
      });
    } else {
      read();
    }
  }

  void request_close() override {
    if (done_) return;
    bool idle = false;
    {
      std::lock_guard lock(out_mutex_);
      if (close_requested_) return;  // already on its way
      close_requested_ = true;
      idle = !writing_ && queued_.empty();
    }
    if (idle) return finish();
    // What is queued (a Logout and its reason) goes out first, within a short while.
    deadline_.expires_after(std::chrono::seconds(2));
    deadline_.async_wait([self = self()](error_code ec) {
      if (!ec) self->finish();
    });
  }

  void finish() override {
    if (done_) return;
    done_ = true;
    {
      std::lock_guard lock(out_mutex_);
      finished_ = true;
      queued_.clear();
    }
    deadline_.cancel();
    write_timer_.cancel();
    error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
    {
      std::lock_guard lock(t_.conns_mutex);
      t_.conns.erase(id);
    }
    t_.engine->closed(id);  // outside conns_mutex: QuickFIX's disconnect calls close() back
    ticket_.release();
    t_.metrics.fix_connections.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  std::shared_ptr<Conn> self() { return std::static_pointer_cast<Conn>(shared_from_this()); }
  tcp::socket& lowest() {
    if constexpr (kIsTls<Stream>) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void read() {
    stream_.async_read_some(net::buffer(rbuf_), [self = self()](error_code ec, size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, size_t n) {
    if (done_) return;
    if (ec) return finish();
    if (closing()) return read();  // what the peer still sends while our Logout goes out is dropped
    note_logon();
    framer_.feed(rbuf_.data(), n);
    std::string message;
    for (;;) {
      switch (framer_.next(message)) {
        case FixFramer::Got::nothing:
          return read();
        case FixFramer::Got::message:
          if (t_.settings.frames_per_s > 0 && !limiter_.allow(server::wall_clock())) {
            t_.metrics.reject(RejectReason::RateLimited);
            return finish();  // flooding the session level (heartbeats, resend requests, ...)
          }
          if (!t_.engine->received(id, message)) {
            request_close();
            if (!done_) read();
            return;
          }
          if (done_) return;
          note_logon();
          break;
        case FixFramer::Got::bad:
        case FixFramer::Got::too_big:
          t_.metrics.fix_bad_frames.fetch_add(1, std::memory_order_relaxed);
          // A logged-on session ignores a garbled message (FIX session rules; QuickFIX then sees the gap in
          // sequence numbers); before the Logon, bytes that are no FIX end the connection.
          if (!t_.engine->logged_on(id)) return finish();
          framer_.skip_garbled();
          break;
      }
    }
  }

  // Once the session is live (its Logon was approved meanwhile, on this thread) frames may be full size.
  void note_logon() {
    if (logged_on_ || !t_.engine->logged_on(id)) return;
    logged_on_ = true;
    framer_.set_max(t_.settings.max_message_bytes);
  }

  bool closing() {
    std::lock_guard lock(out_mutex_);
    return close_requested_;
  }

  void write_next() override {
    if (done_) return;
    bool close_now = false;
    {
      std::lock_guard lock(out_mutex_);
      post_pending_ = false;
      if (writing_) return;  // on_write continues
      if (queued_.empty()) {
        close_now = close_requested_;
      } else {
        inflight_.swap(queued_);
        queued_.clear();
        writing_ = true;
      }
    }
    if (close_now) return finish();
    if (inflight_.empty()) return;
    // A peer that takes nothing for this long is gone or stuck: closed, instead of holding its queue.
    write_timer_.expires_after(std::chrono::milliseconds(t_.settings.write_timeout_ms));
    write_timer_.async_wait([self = self()](error_code e) {
      if (e) return;
      self->t_.metrics.slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
      self->finish();
    });
    net::async_write(stream_, net::buffer(inflight_), [self = self()](error_code e, size_t) { self->on_write(e); });
  }

  void on_write(error_code ec) {
    write_timer_.cancel();
    {
      std::lock_guard lock(out_mutex_);
      writing_ = false;
      out_bytes_ -= inflight_.size();
    }
    inflight_.clear();
    if (ec) return finish();
    write_next();
  }

  FixTransport::Impl& t_;
  Stream stream_;
  std::string address_;
  server::ConnectionLimits::Ticket ticket_;
  FixFramer framer_;
  server::RateLimiter limiter_;
  bool logged_on_ = false;  // I/O thread: seen logged on (frames may be max_message_bytes from then on)
  net::steady_timer deadline_, write_timer_;
  std::array<char, 16 * 1024> rbuf_;
  std::string inflight_;  // I/O thread
  bool writing_ = false;  // guarded by out_mutex_
  bool done_ = false;     // I/O thread
};

void keepalive(tcp::socket& socket) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  socket.set_option(net::socket_base::keep_alive(true), ignored);
  const int idle = 60, interval = 10, count = 3;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

Result<int> listen(FixTransport::Impl& t, std::optional<tcp::acceptor>& acceptor, int port) {
  error_code ec;
  const auto address = net::ip::make_address(t.settings.bind, ec);
  if (ec) return Error{"bad_config", "bind address '" + t.settings.bind + "': " + ec.message()};
  acceptor.emplace(t.ioc);
  const tcp::endpoint ep(address, static_cast<uint16_t>(port));
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Error{"bind_failed", "cannot listen for FIX on " + t.settings.bind + ":" + std::to_string(port) + ": " + ec.message()};
  return static_cast<int>(acceptor->local_endpoint().port());
}

}  // namespace

void FixTransport::Impl::accept(tcp::acceptor& acceptor, bool secure_port) {
  acceptor.async_accept(ioc, [this, &acceptor, secure_port](error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors (or another accept error): wait a moment instead of spinning on it.
      auto pause = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(100));
      pause->async_wait([this, &acceptor, secure_port, pause](error_code) {
        if (acceptor.is_open()) accept(acceptor, secure_port);
      });
      return;
    }
    error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec);
    const std::string address = peer_ec ? std::string("?") : server::peer_key(peer.address().to_string());
    auto ticket = limits.acquire(address);
    if (!ticket || peer_ec) {
      metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
      error_code ignored;
      socket.close(ignored);
    } else {
      keepalive(socket);
      std::shared_ptr<Connection> c;
      if (secure_port) {
        c = std::make_shared<Conn<ssl::stream<tcp::socket>>>(*this, ssl::stream<tcp::socket>(std::move(socket), *tls), address,
                                                              std::move(ticket));
      } else {
        c = std::make_shared<Conn<tcp::socket>>(*this, std::move(socket), address, std::move(ticket));
      }
      c->id = new_id();
      c->start();
    }
    accept(acceptor, secure_port);
  });
}

void FixTransport::Impl::tick() {
  ticker->expires_after(std::chrono::seconds(1));
  ticker->async_wait([this](error_code ec) {
    if (ec) return;
    engine->tick();
    tick();
  });
}

FixTransport::FixTransport(FixTransportSettings settings, server::ConnectionLimits& limits, server::Metrics& metrics,
                           std::function<uint64_t()> new_connection_id)
    : impl_(std::make_unique<Impl>(std::move(settings), limits, metrics, std::move(new_connection_id))) {}

FixTransport::~FixTransport() { stop(); }

Result<bool> FixTransport::start(fixapi::FixEngine& engine) {
  Impl& t = *impl_;
  t.engine = &engine;
  if (t.settings.port >= 0) {
    auto p = listen(t, t.plain, t.settings.port);
    if (!p) return p.error();
    t.plain_port = *p;
    t.accept(*t.plain, false);
  }
  if (t.settings.tls_port >= 0) {
    t.tls.emplace(ssl::context::tls_server);
    t.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    error_code ec;
    t.tls->use_certificate_chain_file(t.settings.cert_file, ec);
    if (!ec) t.tls->use_private_key_file(t.settings.key_file, ssl::context::pem, ec);
    if (ec) return Error{"tls_error", "cannot load " + t.settings.cert_file + " / " + t.settings.key_file + ": " + ec.message()};
    auto p = listen(t, t.secure, t.settings.tls_port);
    if (!p) return p.error();
    t.secure_port = *p;
    t.accept(*t.secure, true);
  }
  t.ticker.emplace(t.ioc);
  t.tick();
  t.thread = std::thread([&t] {
    pthread_setname_np(pthread_self(), "cpx-fix-io");
    auto guard = net::make_work_guard(t.ioc);
    t.ioc.run();
  });
  return true;
}

void FixTransport::stop() {
  Impl& t = *impl_;
  if (!t.thread.joinable()) return;
  std::promise<void> closed;
  net::post(t.ioc, [&t, &closed] {
    error_code ec;
    if (t.plain) t.plain->close(ec);
    if (t.secure) t.secure->close(ec);
    if (t.ticker) t.ticker->cancel();
    std::vector<std::shared_ptr<Connection>> all;
    {
      std::lock_guard lock(t.conns_mutex);
      for (auto& [id, c] : t.conns) all.push_back(c);
    }
    for (auto& c : all) c->finish();
    closed.set_value();
  });
  closed.get_future().wait();
  t.ioc.stop();
  t.thread.join();
}

int FixTransport::port() const { return impl_->plain_port; }
int FixTransport::tls_port() const { return impl_->secure_port; }

void FixTransport::post(std::function<void()> f) { net::post(impl_->ioc, std::move(f)); }

bool FixTransport::send(uint64_t connection, const std::string& bytes) {
  auto c = impl_->find(connection);
  if (!c) return false;
  switch (c->queue(bytes, impl_->settings.max_outbound_bytes, impl_->ioc)) {
    case Connection::Queued::yes:
      return true;
    case Connection::Queued::closing:
      return false;
    case Connection::Queued::too_far_behind:
      // QuickFIX counts a message it could not hand over as sent: the connection must go, or its client
      // would see holes. (No Logout can be queued behind a full queue.)
      impl_->metrics.slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
      close(connection);
      return false;
  }
  return false;
}

void FixTransport::close_after(uint64_t connection, int64_t ms) {
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, std::chrono::milliseconds(ms));
  timer->async_wait([this, connection, timer](error_code ec) {
    if (ec) return;
    if (auto c = impl_->find(connection)) c->finish();
  });
}

void FixTransport::close(uint64_t connection) {
  net::post(impl_->ioc, [this, connection] {
    if (auto c = impl_->find(connection)) c->request_close();
  });
}

}  // namespace cpx::fix
