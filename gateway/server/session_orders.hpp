#pragma once
// Which gateway session placed each open order, so a session's orders can be cancelled when it
// disconnects (cancel-on-disconnect, FIX and WebSocket). Engine thread only: it listens to the exchange's
// events and is told by the sequencer whose request is being applied.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cpx/commands.hpp"
#include "cpx/events.hpp"
#include "server/sequencer.hpp"

namespace cpx::server {

class SessionOrders final : public EventListener, public BatchSink {
 public:
  void begin_request(uint64_t origin) override { origin_ = origin; }
  void end_batch(bool) override { origin_ = 0; }

  void on_accepted(const OrderAccepted& e) override {
    // Routed children never rest (IOC, ended within their command): nothing to cancel on disconnect.
    if (origin_ == 0 || e.route_id != 0) return;
    owner_[e.order_id] = Owner{origin_, e.participant};
    by_session_[origin_].insert(e.order_id);
  }
  void on_trade(const Trade& t) override {
    if (t.buy_remaining == 0) closed(t.buy_order_id);
    if (t.sell_remaining == 0) closed(t.sell_order_id);
  }
  void on_done(const OrderDone& e) override { closed(e.order_id); }

  // Cancels for every open order `session` placed, oldest first.
  void cancels_for(uint64_t session, Timestamp now, std::vector<Command>& out) const {
    auto it = by_session_.find(session);
    if (it == by_session_.end()) return;
    std::vector<OrderId> ids(it->second.begin(), it->second.end());
    std::sort(ids.begin(), ids.end());
    for (OrderId id : ids) out.push_back(CancelOrder{now, owner_.at(id).participant, id, {}});
  }
  size_t open_orders(uint64_t session) const {
    auto it = by_session_.find(session);
    return it == by_session_.end() ? 0 : it->second.size();
  }

 private:
  struct Owner {
    uint64_t session;
    ParticipantId participant;
  };
  void closed(OrderId id) {
    auto it = owner_.find(id);
    if (it == owner_.end()) return;
    auto s = by_session_.find(it->second.session);
    if (s != by_session_.end()) {
      s->second.erase(id);
      if (s->second.empty()) by_session_.erase(s);
    }
    owner_.erase(it);
  }
  uint64_t origin_ = 0;
  std::unordered_map<OrderId, Owner> owner_;
  std::unordered_map<uint64_t, std::unordered_set<OrderId>> by_session_;
};

}  // namespace cpx::server
