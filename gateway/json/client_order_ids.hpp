#pragma once
// (participant, client order id) -> open order id, kept up to date from the engine's events, so clients
// can cancel and replace by their own ids. Also tells whether a client id is already in use.
#include <string>
#include <string_view>
#include <unordered_map>

#include "cpx/events.hpp"

namespace cpx::api {

class ClientOrderIds final : public EventListener {
 public:
  OrderId find(ParticipantId p, std::string_view cl_ord_id) const {
    auto it = ids_.find(key(p, cl_ord_id));
    return it == ids_.end() ? 0 : it->second;
  }
  void on_accepted(const OrderAccepted& e) override {
    // A routed order's children carry the parent's client id but never rest (IOC, planned to fill):
    // mapping them would only let a child, closing within its command, unmap an open order that shares
    // the id. Nothing can cancel or replace a child, so there is nothing to find.
    if (e.route_id != 0) return;
    add(e.participant, e.cl_ord_id, e.order_id);
  }
  // Records an open order directly (used after recovery, from the engine's books).
  void add(ParticipantId p, std::string_view cl_ord_id, OrderId id) {
    if (cl_ord_id.empty()) return;
    ids_[key(p, cl_ord_id)] = id;
    by_order_[id] = std::string(cl_ord_id);
  }
  void on_trade(const Trade& t) override {
    if (t.buy_remaining == 0) on_closed(t.buy_order_id, t.buyer);
    if (t.sell_remaining == 0) on_closed(t.sell_order_id, t.seller);
  }
  void on_done(const OrderDone& e) override { on_closed(e.order_id, e.participant); }
  void on_replaced(const OrderReplaced& e) override {
    if (e.cl_ord_id.empty()) return;
    auto it = by_order_.find(e.order_id);
    if (it != by_order_.end()) {
      if (it->second == e.cl_ord_id) return;
      forget(e.participant, it->second, e.order_id);
      it->second = std::string(e.cl_ord_id);
    } else {
      by_order_.emplace(e.order_id, std::string(e.cl_ord_id));
    }
    ids_[key(e.participant, e.cl_ord_id)] = e.order_id;
  }
  void on_closed(OrderId id, ParticipantId p) {
    auto it = by_order_.find(id);
    if (it == by_order_.end()) return;
    forget(p, it->second, id);
    by_order_.erase(it);
  }
  size_t size() const { return ids_.size(); }

 private:
  // A client id names the newest open order that took it: an older order closing must not unmap it.
  void forget(ParticipantId p, const std::string& cl, OrderId id) {
    auto it = ids_.find(key(p, cl));
    if (it != ids_.end() && it->second == id) ids_.erase(it);
  }
  static std::string key(ParticipantId p, std::string_view cl) {
    std::string k = std::to_string(p);
    k += '\x1f';
    k += cl;
    return k;
  }
  std::unordered_map<std::string, OrderId> ids_;
  std::unordered_map<OrderId, std::string> by_order_;
};

}  // namespace cpx::api
