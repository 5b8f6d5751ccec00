#pragma once
// The WebSocket/HTTP gateway's fan-out (I/O thread only, no Beast): which connection acts for which
// participant and listens to which channel, and where each item the engine thread released goes.
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/connection_limits.hpp"
#include "web/web_sink.hpp"

namespace cpx::web {

// One line of output, shared by every connection it goes to.
using Line = std::shared_ptr<const std::string>;

// A connection the engine's output can reach (HTTP or WebSocket, plain or TLS).
class Peer : public std::enable_shared_from_this<Peer> {
 public:
  virtual ~Peer() = default;
  virtual void deliver(const Line& line) = 0;
  virtual void request_done() {}
  virtual void refused(int /*http_status*/) {}
  virtual void logged_in(ParticipantId) {}
  virtual void revoke(const std::string& /*username*/) {}

  uint64_t id = 0;
  ParticipantId participant = kNoParticipant;
  std::string address;                        // the peer's IP address
  server::ConnectionLimits::Ticket ticket;    // its place among the connections (released with the peer)
  bool orders_feed = false;      // every private event of the participant
  bool executions_feed = false;  // its fills
  bool heard = false;            // got a feed or channel message since the last heartbeat tick
};

class FanOut {
 public:
  void add(const std::shared_ptr<Peer>& p) { peers_[p->id] = p; }
  // Forgets the connection everywhere (its participant, its channels).
  void remove(uint64_t id);
  Peer* peer(uint64_t id);
  void unsubscribe(uint64_t id, const std::string& channel);
  // One released item to the connections it is for.
  void route(WebItem& item);
  std::vector<std::shared_ptr<Peer>> all() const;
  void clear();
  // Every heartbeat interval: each session subscribed to something that heard nothing since the last
  // tick gets {"ev":"heartbeat","ts":...,"seq":{channel: last number, ...}}, so a quiet feed is told
  // from a dead one and a client can see it missed nothing. `ts_text` is the wall time, ISO 8601.
  void heartbeat(const std::string& ts_text);

 private:
  std::unordered_map<uint64_t, std::shared_ptr<Peer>> peers_;
  std::unordered_map<ParticipantId, std::unordered_set<uint64_t>> by_participant_;
  std::unordered_map<std::string, std::unordered_set<uint64_t>> channels_;
  std::unordered_map<std::string, uint64_t> last_seq_;  // per channel, the last number routed
};

}  // namespace cpx::web
