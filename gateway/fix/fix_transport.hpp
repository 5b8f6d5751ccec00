#pragma once
// cpxd's own FIX transport (docs/ARCHITECTURE.md, "Why cpxd carries FIX itself"): listeners for FIX over
// TCP and over TLS on the configured address, one Asio I/O thread for every FIX connection, whole
// messages (fix_framing.hpp) handed to QuickFIX's sessions (fixapi::FixEngine), and what the sessions send
// queued per connection, bounded. QuickFIX's own socket classes are not used: they watch descriptors with
// select(), which aborts the whole process once a descriptor number reaches 1024.
//
// Per connection: a ticket from ConnectionLimits (else closed at once), a login deadline (a connection
// not logged on by then is closed), a bounded read buffer (max_message_bytes) and a bounded outbound
// queue (past max_outbound_bytes, send() fails and the session is dropped as a slow consumer).
// Asio lives in fix_transport.cpp only.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "cpx/result.hpp"
#include "fix/fix_api.hpp"
#include "server/connection_limits.hpp"
#include "server/metrics.hpp"

namespace cpx::fix {

struct FixTransportSettings {
  std::string bind = "127.0.0.1";
  int port = -1;      // FIX over TCP (0: any free port; -1: off)
  int tls_port = -1;  // FIX over TLS
  std::string cert_file, key_file;  // PEM, for TLS
  size_t max_message_bytes = 64 * 1024;
  size_t max_logon_bytes = 8 * 1024;  // frames before the Logon is accepted (a Logon is far smaller)
  // Every inbound frame of a connection, session level included (the FIX server's own limit counts only
  // application messages): a token bucket; over it the connection is closed. 0: unlimited. cpxd derives
  // it from the application rate limit (frame_limits).
  int64_t frames_per_s = 4000;
  int64_t frames_burst = 8000;
  size_t max_outbound_bytes = 8 * 1024 * 1024;
  int64_t login_timeout_ms = 10'000;
  int64_t write_timeout_ms = 30'000;  // a write the peer takes nothing of this long closes the connection
};

// The frame flood limit for an application rate limit of `requests_per_s` with `burst` (0: unlimited):
// twice each, never less than 4,000 a second and 8,000 at once, so a session that keeps to its rate
// limit is never closed for flooding; unlimited when the application rate is (a venue that lets
// sessions send as fast as they can must not close the fast ones: a 12,500/s FIX load session was).
inline std::pair<int64_t, int64_t> frame_limits(int64_t requests_per_s, int64_t burst) {
  if (requests_per_s <= 0) return {0, 0};
  const int64_t cap = INT64_MAX / 4;  // the operator's values, but never an overflow here
  return {std::max<int64_t>(4000, 2 * std::min(requests_per_s, cap)),
          std::max<int64_t>(8000, 2 * std::min(std::max<int64_t>(burst, 0), cap))};
}

class FixTransport final : public fixapi::FixConnections {
 public:
  FixTransport(FixTransportSettings settings, server::ConnectionLimits& limits, server::Metrics& metrics,
               std::function<uint64_t()> new_connection_id);
  ~FixTransport() override;

  // Binds and starts the I/O thread, feeding `engine` (which must outlive stop()).
  Result<bool> start(fixapi::FixEngine& engine);
  // Closes the listeners and every connection (engine.closed for each), then stops the I/O thread.
  void stop();
  int port() const;
  int tls_port() const;
  // Runs `f` on the I/O thread (where every FixEngine connection call is made).
  void post(std::function<void()> f);
  // Closes the connection after `ms` whatever the client does (a Logout it does not answer).
  void close_after(uint64_t connection, int64_t ms);

  // fixapi::FixConnections (any thread)
  bool send(uint64_t connection, const std::string& bytes) override;
  void close(uint64_t connection) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpx::fix
