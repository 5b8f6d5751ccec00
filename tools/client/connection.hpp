#pragma once
// A client's TCP connection, plain or TLS (OpenSSL), for the command-line tools: blocking, one owner
// thread (or one reader and one writer on a plain connection). No Beast: the tools stay quick to build.
#include <memory>
#include <string>

#include "cpx/result.hpp"

namespace cpx::client {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 0;
  bool tls = false;
  std::string ca_file;  // TLS: trust exactly these certificates (default: the system's)
  std::string source;   // the local address to connect from (empty: the system's choice); e.g. 127.0.0.7
};

// A plain TCP socket connected to `at` (from `at.source` when set), blocking; -1 when it cannot connect.
// For tools and tests that hold many raw connections (idle ones, junk senders).
int connect_socket(const Endpoint& at);

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const Endpoint& at, int rcvbuf = 0);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool write_all(const char* data, size_t n);
  bool write_all(const std::string& s) { return write_all(s.data(), s.size()); }
  // Up to `cap` bytes; 0 at end of stream, -1 on error, -2 when `timeout_ms` passed with nothing to read.
  long read_some(char* buf, size_t cap, int timeout_ms = -1);
  void shutdown();
  int fd() const { return fd_; }

 private:
  Connection() = default;
  int fd_ = -1;
  struct Tls;
  std::unique_ptr<Tls> tls_;
};

}  // namespace cpx::client
