#pragma once
// The WebSocket + HTTP gateway (docs/PRODUCT.md §6): plain and TLS listeners, one I/O thread. No Beast types
// here: Boost.Beast is included by web_server.cpp and ws_session.cpp alone, to keep builds lean.
#include <memory>

#include "cpx/result.hpp"
#include "server/server_core.hpp"

namespace cpx::web {

class WebGateway {
 public:
  // Registers its engine-thread side with `core`: construct before core.start().
  explicit WebGateway(server::ServerCore& core);
  ~WebGateway();
  WebGateway(const WebGateway&) = delete;
  WebGateway& operator=(const WebGateway&) = delete;

  // Binds the ports of core.config() (0: any free port) and starts the I/O thread.
  Result<bool> start();
  // Closes the listeners and every connection; stops the I/O thread.
  void stop();
  int port() const;      // the plain HTTP/WebSocket port actually bound (-1: off)
  int tls_port() const;  // the HTTPS/WSS port (-1: off)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpx::web
