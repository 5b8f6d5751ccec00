#pragma once
// How many connections cpxd holds, per peer address and in total, across all its listeners (HTTP,
// WebSocket, FIX, plain and TLS). Every accepted socket takes a ticket first; without one it is closed at
// once, so one client cannot use up the descriptors everyone else needs (operators included). Together
// with the login deadline (an unauthenticated connection is closed after `login_timeout_ms`), a client
// that opens connections and sends nothing holds at most `per_address` of them, for seconds.
// Thread-safe.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace cpx::server {

// The key a peer's limits are kept under (connections, failed logins): an IPv4 address as it is (also
// one mapped into IPv6), an IPv6 address by its /64 — one host can use a whole /64, so a key per address
// would be no limit at all.
inline std::string peer_key(const std::string& ip) {
  in6_addr a6{};
  if (::inet_pton(AF_INET6, ip.c_str(), &a6) != 1) return ip;
  char text[INET6_ADDRSTRLEN] = {};
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {
    ::inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof text);
    return text;
  }
  std::memset(&a6.s6_addr[8], 0, 8);
  ::inet_ntop(AF_INET6, &a6, text, sizeof text);
  return std::string(text) + "/64";
}

// The deadline of connection `id` (login, idle): at least `ms`, spread up to 1.5 times that by the id. A
// client that opens thousands of connections at once would otherwise see them all expire in the same
// instant, and their closing (and its reconnecting) would stall the I/O thread that serves everyone else.
inline int64_t spread_deadline_ms(int64_t ms, uint64_t id) {
  const uint64_t mixed = (id * 0x9E3779B97F4A7C15ull) >> 33;
  return ms + static_cast<int64_t>(mixed % static_cast<uint64_t>(ms / 2 + 1));
}

class ConnectionLimits {
 public:
  ConnectionLimits(size_t total, size_t per_address) : total_(total), per_address_(per_address) {}

  // A held connection; releases its place when destroyed.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), address_(std::move(o.address_)) {}
    Ticket& operator=(Ticket&& o) noexcept {
      if (this != &o) {
        release();
        owner_ = std::exchange(o.owner_, nullptr);
        address_ = std::move(o.address_);
      }
      return *this;
    }
    ~Ticket() { release(); }
    explicit operator bool() const { return owner_ != nullptr; }
    void release() {
      if (owner_) owner_->give_back(address_);
      owner_ = nullptr;
    }

   private:
    friend class ConnectionLimits;
    Ticket(ConnectionLimits* owner, std::string address) : owner_(owner), address_(std::move(address)) {}
    ConnectionLimits* owner_ = nullptr;
    std::string address_;
  };

  enum class Refusal { none, total, per_address };
  // A ticket, or an empty one with `why` set.
  Ticket acquire(const std::string& address, Refusal* why = nullptr) {
    std::lock_guard lock(mutex_);
    Refusal r = Refusal::none;
    size_t& n = by_address_[address];
    if (open_ >= total_) {
      r = Refusal::total;
    } else if (n >= per_address_) {
      r = Refusal::per_address;
    }
    if (why) *why = r;
    if (r != Refusal::none) {
      if (n == 0) by_address_.erase(address);
      ++refused_;
      return {};
    }
    ++n;
    ++open_;
    return Ticket(this, address);
  }

  size_t open() const {
    std::lock_guard lock(mutex_);
    return open_;
  }
  size_t refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  size_t addresses() const {
    std::lock_guard lock(mutex_);
    return by_address_.size();
  }
  size_t total_limit() const { return total_; }
  size_t per_address_limit() const { return per_address_; }

 private:
  void give_back(const std::string& address) {
    std::lock_guard lock(mutex_);
    auto it = by_address_.find(address);
    if (it != by_address_.end() && --it->second == 0) by_address_.erase(it);
    --open_;
  }

  const size_t total_, per_address_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, size_t> by_address_;
  size_t open_ = 0;
  size_t refused_ = 0;
};

}  // namespace cpx::server
