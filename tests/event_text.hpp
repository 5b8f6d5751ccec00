#pragma once
// Every engine event as one line of text with every field, so two event streams compare exactly.
#include <string>
#include <vector>

#include "cpx/events.hpp"

namespace cpx::test {

class EventText final : public EventListener {
 public:
  std::vector<std::string> lines;

  void on_accepted(const OrderAccepted& e) override {
    add("accepted", e.ts, {e.order_id, e.participant, e.instrument, u(e.side), u(e.type), u(e.tif), u(e.post_only),
                           u(e.price), u(e.qty), u(e.expire_at)}, e.cl_ord_id);
  }
  void on_rejected(const OrderRejected& e) override {
    add("rejected", e.ts, {u(e.command), e.participant, e.instrument, e.order_id, u(e.reason), u(e.side)}, e.cl_ord_id);
  }
  void on_trade(const Trade& e) override {
    add("trade", e.ts, {e.trade_id, e.instrument, u(e.price), u(e.qty), e.buy_order_id, e.sell_order_id, e.buyer,
                        e.seller, u(e.aggressor), u(e.buy_remaining), u(e.sell_remaining), u(e.hours), u(e.scu),
                        u(e.price_per_scu_hour), u(e.notional), u(e.buyer_fee), u(e.seller_fee), u(e.window_start),
                        u(e.window_end)},
        std::string(e.buy_cl_ord_id) + "|" + std::string(e.sell_cl_ord_id));
  }
  void on_done(const OrderDone& e) override {
    add("done", e.ts, {e.order_id, e.participant, e.instrument, u(e.side), u(e.price), u(e.cancelled_qty),
                       u(e.filled_qty), u(e.reason)}, e.cl_ord_id);
  }
  void on_replaced(const OrderReplaced& e) override {
    add("replaced", e.ts, {e.order_id, e.participant, e.instrument, u(e.side), u(e.price), u(e.qty),
                           u(e.remaining), u(e.kept_priority)}, e.cl_ord_id);
  }
  void on_restated(const OrderRestated& e) override {
    add("restated", e.ts, {e.order_id, e.participant, e.instrument, u(e.side), u(e.decrement), u(e.remaining)},
        e.cl_ord_id);
  }
  void on_book_change(const BookChange& e) override {
    add("book", e.ts, {e.instrument, u(e.side), u(e.price), u(e.qty), e.orders}, "");
  }
  void on_instrument_state(const InstrumentStateChanged& e) override {
    add("state", e.ts, {e.instrument, u(e.state)}, "");
  }
  void on_mass_cancel(const MassCancelDone& e) override {
    add("mass_cancel", e.ts, {e.participant, e.target, e.instrument, e.cancelled}, "");
  }
  void on_admin(const AdminDone& e) override { add("admin", e.ts, {u(e.command), e.actor}, e.subject); }

 private:
  template <class T>
  static uint64_t u(T v) {
    return static_cast<uint64_t>(v);
  }
  void add(const char* kind, Timestamp ts, std::initializer_list<uint64_t> fields, std::string_view text) {
    std::string s = kind;
    s += ' ';
    s += std::to_string(ts);
    for (uint64_t f : fields) {
      s += ' ';
      s += std::to_string(static_cast<int64_t>(f));
    }
    s += " '";
    s += text;
    s += '\'';
    lines.push_back(std::move(s));
  }
};

}  // namespace cpx::test
