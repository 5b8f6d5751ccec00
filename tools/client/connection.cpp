#include "connection.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cpx::client {

struct Connection::Tls {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
  }
};

int connect_socket(const Endpoint& at) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{}, remote{};
  local.sin_family = remote.sin_family = AF_INET;
  remote.sin_port = htons(static_cast<uint16_t>(at.port));
  const bool ok = ::inet_pton(AF_INET, at.host.c_str(), &remote.sin_addr) == 1 &&
                  (at.source.empty() || (::inet_pton(AF_INET, at.source.c_str(), &local.sin_addr) == 1 &&
                                         ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0)) &&
                  ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0;
  if (!ok) {
    ::close(fd);
    return -1;
  }
  return fd;
}

Result<std::unique_ptr<Connection>> Connection::open(const Endpoint& at, int rcvbuf) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(at.port);
  if (int rc = getaddrinfo(at.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Error{"connect_failed", "cannot resolve " + at.host + ": " + gai_strerror(rc)};
  std::unique_ptr<Connection> c(new Connection());
  std::string why = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (!at.source.empty() && a->ai_family == AF_INET) {
      // Tests and load tools stand for many clients: loopback answers every 127.x.y.z.
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (::inet_pton(AF_INET, at.source.c_str(), &local.sin_addr) != 1 ||
          ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        why = "cannot bind to source " + at.source + ": " + std::strerror(errno);
        ::close(fd);
        continue;
      }
    }
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      c->fd_ = fd;
      break;
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(found);
  if (c->fd_ < 0) return Error{"connect_failed", "cannot connect to " + at.host + ":" + port + ": " + why + " (is cpxd running?)"};
  const int one = 1;
  ::setsockopt(c->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!at.tls) return c;

  c->tls_ = std::make_unique<Tls>();
  Tls& t = *c->tls_;
  t.ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(t.ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(t.ctx, SSL_VERIFY_PEER, nullptr);
  const bool trusted = at.ca_file.empty() ? SSL_CTX_set_default_verify_paths(t.ctx) == 1
                                          : SSL_CTX_load_verify_locations(t.ctx, at.ca_file.c_str(), nullptr) == 1;
  if (!trusted) return Error{"tls_error", "cannot load the CA file '" + at.ca_file + "'"};
  t.ssl = SSL_new(t.ctx);
  SSL_set_fd(t.ssl, c->fd_);
  SSL_set_tlsext_host_name(t.ssl, at.host.c_str());
  SSL_set1_host(t.ssl, at.host.c_str());
  if (SSL_connect(t.ssl) != 1) {
    const long verify = SSL_get_verify_result(t.ssl);
    std::string detail = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : "handshake failed";
    return Error{"tls_error", "TLS with " + at.host + ":" + port + ": " + detail + " (pass the server's certificate with --cacert)"};
  }
  return c;
}

Connection::~Connection() {
  tls_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::write_all(const char* data, size_t n) {
  while (n > 0) {
    long w;
    if (tls_) {
      w = SSL_write(tls_->ssl, data, static_cast<int>(n));
      if (w <= 0) return false;
    } else {
      w = ::send(fd_, data, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

long Connection::read_some(char* buf, size_t cap, int timeout_ms) {
  if (!(tls_ && SSL_pending(tls_->ssl) > 0) && timeout_ms >= 0) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r == 0) return -2;
    if (r < 0) return errno == EINTR ? -2 : -1;
  }
  if (tls_) {
    const int r = SSL_read(tls_->ssl, buf, static_cast<int>(cap));
    if (r > 0) return r;
    return SSL_get_error(tls_->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
  }
  for (;;) {
    const long r = ::recv(fd_, buf, cap, 0);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

void Connection::shutdown() {
  if (tls_) SSL_shutdown(tls_->ssl);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace cpx::client
