#pragma once
// The engine has one listener; this hands every event to several, in order.
#include <initializer_list>
#include <vector>

#include "cpx/events.hpp"

namespace cpx::api {

class EventFanout final : public EventListener {
 public:
  EventFanout() = default;
  EventFanout(std::initializer_list<EventListener*> to) : to_(to) {}
  void add(EventListener* l) { to_.push_back(l); }
  void remove(EventListener* l) { std::erase(to_, l); }
  void on_accepted(const OrderAccepted& e) override { for (auto* l : to_) l->on_accepted(e); }
  void on_rejected(const OrderRejected& e) override { for (auto* l : to_) l->on_rejected(e); }
  void on_trade(const Trade& e) override { for (auto* l : to_) l->on_trade(e); }
  void on_done(const OrderDone& e) override { for (auto* l : to_) l->on_done(e); }
  void on_replaced(const OrderReplaced& e) override { for (auto* l : to_) l->on_replaced(e); }
  void on_restated(const OrderRestated& e) override { for (auto* l : to_) l->on_restated(e); }
  void on_book_change(const BookChange& e) override { for (auto* l : to_) l->on_book_change(e); }
  void on_instrument_state(const InstrumentStateChanged& e) override { for (auto* l : to_) l->on_instrument_state(e); }
  void on_mass_cancel(const MassCancelDone& e) override { for (auto* l : to_) l->on_mass_cancel(e); }
  void on_admin(const AdminDone& e) override { for (auto* l : to_) l->on_admin(e); }
  void on_settlement(const SettlementEvent& e) override { for (auto* l : to_) l->on_settlement(e); }
  void on_route_accepted(const RouteAccepted& e) override { for (auto* l : to_) l->on_route_accepted(e); }
  void on_route_done(const RouteDone& e) override { for (auto* l : to_) l->on_route_done(e); }
  void on_auction_state(const AuctionStateChanged& e) override { for (auto* l : to_) l->on_auction_state(e); }
  void on_auction_order(const AuctionOrderAccepted& e) override { for (auto* l : to_) l->on_auction_order(e); }
  void on_auction_order_done(const AuctionOrderDone& e) override { for (auto* l : to_) l->on_auction_order_done(e); }
  void on_auction_award(const AuctionAward& e) override { for (auto* l : to_) l->on_auction_award(e); }

 private:
  std::vector<EventListener*> to_;
};

}  // namespace cpx::api
