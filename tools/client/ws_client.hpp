#pragma once
// A WebSocket client (RFC 6455) over Connection for the tools: text messages, masked frames out,
// fragmented frames in, pings answered. Reading and writing may run on two threads (plain TCP only).
#include <memory>
#include <mutex>
#include <string>

#include "connection.hpp"

namespace cpx::client {

class WsClient {
 public:
  static Result<std::unique_ptr<WsClient>> connect(const Endpoint& at, const std::string& path = "/ws", int rcvbuf = 0);

  bool send_text(const std::string& text);
  // Several messages in one write (a load generator's batch); each still its own frame.
  bool send_texts(const std::string* texts, size_t n);
  enum class Read { message, closed, timeout, error };
  // The next whole text message into `out`.
  Read next(std::string& out, int timeout_ms);
  // Signs and sends the login (docs/PRODUCT.md §6); the server's answer ("login" or an error) is returned.
  // keep_orders: the session's orders stay when it disconnects ("cancel_on_disconnect": false).
  Result<std::string> login(const std::string& key, const std::string& secret, int timeout_ms = 5000, bool keep_orders = false);
  int close_code() const { return close_code_; }
  void close();

 private:
  explicit WsClient(std::unique_ptr<Connection> c) : conn_(std::move(c)) {}
  void frame(std::string& out, uint8_t opcode, const char* data, size_t n);
  bool parse(std::string& out, bool& closed);  // one whole message from in_, if there is one

  std::unique_ptr<Connection> conn_;
  std::mutex write_mutex_;
  std::string in_;
  size_t in_pos_ = 0;
  std::string partial_;
  uint64_t mask_state_ = 0x9E3779B97F4A7C15ull;
  int close_code_ = 0;
};

}  // namespace cpx::client
