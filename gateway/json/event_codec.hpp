#pragma once
// Event -> JSON line: the event schema of docs/API.md. Written by hand (no DOM) because it runs for every
// event the exchange publishes.
#include <string>
#include <string_view>

#include "cpx/events.hpp"
#include "json/names.hpp"

namespace cpx::api {

// Appends one JSON object per event, each ended by '\n', to `out`.
class JsonEventWriter final : public EventListener {
 public:
  JsonEventWriter(const NameResolver& names, std::string& out) : names_(names), out_(out) {}

  void on_accepted(const OrderAccepted& e) override;
  void on_rejected(const OrderRejected& e) override;
  void on_trade(const Trade& e) override;
  void on_done(const OrderDone& e) override;
  void on_replaced(const OrderReplaced& e) override;
  void on_restated(const OrderRestated& e) override;
  void on_book_change(const BookChange& e) override;
  void on_instrument_state(const InstrumentStateChanged& e) override;
  void on_mass_cancel(const MassCancelDone& e) override;
  void on_admin(const AdminDone& e) override;
  void on_settlement(const SettlementEvent& e) override;
  void on_route_accepted(const RouteAccepted& e) override;
  void on_route_done(const RouteDone& e) override;
  void on_auction_state(const AuctionStateChanged& e) override;
  void on_auction_order(const AuctionOrderAccepted& e) override;
  void on_auction_order_done(const AuctionOrderDone& e) override;
  void on_auction_award(const AuctionAward& e) override;

 private:
  void begin(std::string_view ev, Timestamp ts);
  void str(std::string_view key, std::string_view value);
  void num(std::string_view key, int64_t value);
  void fixed(std::string_view key, int64_t value, int decimals = 4);
  void boolean(std::string_view key, bool value);
  void participant(std::string_view key, ParticipantId id);
  void instrument(InstrumentId id);
  void end();
  void day(Timestamp day_start);
  void legs(std::span<const TransportLeg> legs);

  const NameResolver& names_;
  std::string& out_;
};

// JSON string literal with escapes, appended to out.
void append_json_string(std::string& out, std::string_view s);

}  // namespace cpx::api
