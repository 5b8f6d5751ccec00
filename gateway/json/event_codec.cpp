#include "json/event_codec.hpp"

#include <cstdio>

namespace cpx::api {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void JsonEventWriter::begin(std::string_view ev, Timestamp ts) {
  out_ += "{\"ev\":\"";
  out_ += ev;
  out_ += "\",\"ts\":\"";
  out_ += format_iso_time(ts);
  out_ += '"';
}

void JsonEventWriter::str(std::string_view key, std::string_view value) {
  out_ += ",\"";
  out_ += key;
  out_ += "\":";
  append_json_string(out_, value);
}

void JsonEventWriter::num(std::string_view key, int64_t value) {
  out_ += ",\"";
  out_ += key;
  out_ += "\":";
  out_ += std::to_string(value);
}

void JsonEventWriter::fixed(std::string_view key, int64_t value, int decimals) {
  out_ += ",\"";
  out_ += key;
  out_ += "\":\"";
  out_ += format_fixed(value, decimals);
  out_ += '"';
}

void JsonEventWriter::boolean(std::string_view key, bool value) {
  out_ += ",\"";
  out_ += key;
  out_ += value ? "\":true" : "\":false";
}

void JsonEventWriter::participant(std::string_view key, ParticipantId id) {
  std::string_view code = names_.participant_code(id);
  if (code.empty()) {
    num(key, id == kNoParticipant ? -1 : static_cast<int64_t>(id));
  } else {
    str(key, code);
  }
}

void JsonEventWriter::instrument(InstrumentId id) {
  if (id == kNoInstrument) return;
  str("symbol", names_.symbol(id));
}

void JsonEventWriter::end() { out_ += "}\n"; }

void JsonEventWriter::on_accepted(const OrderAccepted& e) {
  begin("accepted", e.ts);
  num("order_id", static_cast<int64_t>(e.order_id));
  if (e.route_id != 0) num("route_id", static_cast<int64_t>(e.route_id));
  str("cl_ord_id", e.cl_ord_id);
  participant("participant", e.participant);
  instrument(e.instrument);
  str("side", to_string(e.side));
  str("type", to_string(e.type));
  str("tif", to_string(e.tif));
  if (e.post_only) boolean("post_only", true);
  if (e.type == OrderType::Limit) fixed("price", e.price);
  num("qty", e.qty);
  if (e.expire_at != 0) str("expire_at", format_iso_time(e.expire_at));
  end();
}

void JsonEventWriter::on_rejected(const OrderRejected& e) {
  begin("rejected", e.ts);
  str("cmd", to_string(e.command));
  participant("participant", e.participant);
  instrument(e.instrument);
  if (e.order_id != 0) num("order_id", static_cast<int64_t>(e.order_id));
  if (!e.cl_ord_id.empty()) str("cl_ord_id", e.cl_ord_id);
  str("reason", reason_code(e.reason));
  str("text", reason_text(e.reason));
  end();
}

void JsonEventWriter::on_trade(const Trade& e) {
  begin("trade", e.ts);
  num("trade_id", static_cast<int64_t>(e.trade_id));
  instrument(e.instrument);
  fixed("price", e.price);
  num("qty", e.qty);
  str("aggressor", to_string(e.aggressor));
  num("buy_order_id", static_cast<int64_t>(e.buy_order_id));
  num("sell_order_id", static_cast<int64_t>(e.sell_order_id));
  participant("buyer", e.buyer);
  participant("seller", e.seller);
  if (!e.buy_cl_ord_id.empty()) str("buy_cl_ord_id", e.buy_cl_ord_id);
  if (!e.sell_cl_ord_id.empty()) str("sell_cl_ord_id", e.sell_cl_ord_id);
  num("buy_remaining", e.buy_remaining);
  num("sell_remaining", e.sell_remaining);
  num("hours", e.hours);
  num("scu", e.scu);
  fixed("price_per_scu_hour", e.price_per_scu_hour, kScuPriceDecimals);
  fixed("notional", e.notional);
  fixed("buyer_fee", e.buyer_fee);
  fixed("seller_fee", e.seller_fee);
  if (e.route_id != 0) {
    num("route_id", static_cast<int64_t>(e.route_id));
    fixed("transport_fee", e.transport_fee);
    legs(e.transport);
  }
  end();
}

void JsonEventWriter::legs(std::span<const TransportLeg> legs) {
  out_ += ",\"transport\":[";
  for (size_t i = 0; i < legs.size(); ++i) {
    if (i) out_ += ',';
    out_ += "{\"carrier\":";
    append_json_string(out_, names_.participant_code(legs[i].carrier));
    out_ += ",\"link\":" + std::to_string(legs[i].link);
    out_ += ",\"amount\":\"" + format_fixed(legs[i].amount) + "\"}";
  }
  out_ += ']';
}

void JsonEventWriter::day(Timestamp day_start) { str("day", format_iso_time(day_start).substr(0, 10)); }

void JsonEventWriter::on_auction_state(const AuctionStateChanged& e) {
  begin("auction_state", e.ts);
  day(e.day_start);
  str("state", to_string(e.state));
  str("gate_closure", format_iso_time(e.gate_closure));
  if (e.state != AuctionState::Open) {
    num("offers", e.offers);
    num("bids", e.bids);
  }
  if (e.state == AuctionState::Cleared) {
    num("accepted_bids", e.accepted_bids);
    num("contracts", e.contracts);
  }
  end();
}

void JsonEventWriter::on_auction_order(const AuctionOrderAccepted& e) {
  begin("auction_accepted", e.ts);
  num("order_id", static_cast<int64_t>(e.order_id));
  if (!e.cl_ord_id.empty()) str("cl_ord_id", e.cl_ord_id);
  participant("participant", e.participant);
  day(e.day_start);
  if (e.offer) {
    str("side", "offer");
    str("region", names_.region_code(e.offer->region));
    str("class", names_.chip_class_code(e.offer->chip_class));
    num("hour", e.offer->hour);
    num("devices", e.offer->devices);
    fixed("price", e.offer->price);
  } else if (e.bid) {
    const RouteQuery& q = e.bid->constraints;
    str("side", "bid");
    num("first_hour", e.bid->first_hour);
    num("hours", e.bid->hours);
    num("scu_per_hour", q.scu);
    fixed("min_ratio", e.bid->min_ratio_bps);
    fixed("limit_cny_per_scu_hour", q.limit_per_scu_hour, kScuPriceDecimals);
    str("origin", names_.region_code(q.origin));
    num("data_gb_per_hour", q.data_gb);
    fixed("reserve", e.bid->reserve);
  }
  end();
}

void JsonEventWriter::on_auction_order_done(const AuctionOrderDone& e) {
  begin("auction_done", e.ts);
  num("order_id", static_cast<int64_t>(e.order_id));
  if (!e.cl_ord_id.empty()) str("cl_ord_id", e.cl_ord_id);
  participant("participant", e.participant);
  day(e.day_start);
  str("side", e.is_bid ? "bid" : "offer");
  str("status", to_string(e.status));
  num(e.is_bid ? "accepted_scu_per_hour" : "accepted_devices", e.accepted);
  if (e.paradoxically_rejected) boolean("paradoxically_rejected", true);
  end();
}

void JsonEventWriter::on_auction_award(const AuctionAward& e) {
  begin("auction_award", e.ts);
  num("trade_id", static_cast<int64_t>(e.trade_id));
  day(e.day_start);
  num("hour", e.hour);
  str("region", names_.region_code(e.region));
  str("class", names_.chip_class_code(e.chip_class));
  participant("buyer", e.buyer);
  participant("seller", e.seller);
  num("bid_id", static_cast<int64_t>(e.bid_id));
  num("offer_id", static_cast<int64_t>(e.offer_id));
  num("devices", e.devices);
  fixed("price", e.price);
  num("scu", e.scu);
  fixed("price_per_scu_hour", e.price_per_scu_hour, kScuPriceDecimals);
  fixed("notional", e.notional);
  fixed("buyer_fee", e.buyer_fee);
  fixed("seller_fee", e.seller_fee);
  fixed("transport_fee", e.transport_fee);
  legs(e.transport);
  str("window_start", format_iso_time(e.window_start));
  end();
}

void JsonEventWriter::on_route_accepted(const RouteAccepted& e) {
  begin("route_accepted", e.ts);
  num("route_id", static_cast<int64_t>(e.route_id));
  if (!e.cl_ord_id.empty()) str("cl_ord_id", e.cl_ord_id);
  participant("participant", e.participant);
  str("tif", to_string(e.tif));
  num("scu", e.scu);
  fixed("limit_cny_per_scu_hour", e.limit_per_scu_hour, kScuPriceDecimals);
  str("origin", names_.region_code(e.origin));
  num("data_gb", e.data_gb);
  str("window_start", format_iso_time(e.window_start));
  str("window_end", format_iso_time(e.window_end));
  end();
}

void JsonEventWriter::on_route_done(const RouteDone& e) {
  begin("route_done", e.ts);
  num("route_id", static_cast<int64_t>(e.route_id));
  if (!e.cl_ord_id.empty()) str("cl_ord_id", e.cl_ord_id);
  participant("participant", e.participant);
  num("scu", e.scu);
  num("filled_scu", e.filled_scu);
  num("devices", e.devices);
  num("children", e.children);
  fixed("compute_cost", e.compute_cost);
  fixed("fees", e.fees);
  fixed("transport_cost", e.transport_cost);
  str("reason", done_reason_code(e.reason));
  str("text", done_reason_text(e.reason));
  end();
}

void JsonEventWriter::on_done(const OrderDone& e) {
  begin(done_is_expiry(e.reason) ? "expired" : "cancelled", e.ts);
  num("order_id", static_cast<int64_t>(e.order_id));
  if (!e.cl_ord_id.empty()) str("cl_ord_id", e.cl_ord_id);
  participant("participant", e.participant);
  instrument(e.instrument);
  str("side", to_string(e.side));
  num("cancelled_qty", e.cancelled_qty);
  num("filled_qty", e.filled_qty);
  str("reason", done_reason_code(e.reason));
  str("text", done_reason_text(e.reason));
  end();
}

void JsonEventWriter::on_replaced(const OrderReplaced& e) {
  begin("replaced", e.ts);
  num("order_id", static_cast<int64_t>(e.order_id));
  if (!e.cl_ord_id.empty()) str("cl_ord_id", e.cl_ord_id);
  participant("participant", e.participant);
  instrument(e.instrument);
  str("side", to_string(e.side));
  fixed("price", e.price);
  num("qty", e.qty);
  num("remaining", e.remaining);
  boolean("kept_priority", e.kept_priority);
  end();
}

void JsonEventWriter::on_restated(const OrderRestated& e) {
  begin("restated", e.ts);
  num("order_id", static_cast<int64_t>(e.order_id));
  if (!e.cl_ord_id.empty()) str("cl_ord_id", e.cl_ord_id);
  participant("participant", e.participant);
  instrument(e.instrument);
  str("side", to_string(e.side));
  num("decrement", e.decrement);
  num("remaining", e.remaining);
  str("reason", "self_trade_decrement");
  end();
}

void JsonEventWriter::on_book_change(const BookChange& e) {
  begin("book_change", e.ts);
  instrument(e.instrument);
  str("side", e.side == Side::Buy ? "bid" : "ask");
  fixed("price", e.price);
  num("qty", e.qty);
  num("orders", e.orders);
  end();
}

void JsonEventWriter::on_instrument_state(const InstrumentStateChanged& e) {
  begin("instrument_state", e.ts);
  instrument(e.instrument);
  str("state", to_string(e.state));
  end();
}

void JsonEventWriter::on_mass_cancel(const MassCancelDone& e) {
  begin("mass_cancel_done", e.ts);
  participant("participant", e.participant);
  if (e.target == kNoParticipant) str("target", "*"); else participant("target", e.target);
  instrument(e.instrument);
  num("cancelled", static_cast<int64_t>(e.cancelled));
  end();
}

void JsonEventWriter::on_admin(const AdminDone& e) {
  begin("admin_done", e.ts);
  str("cmd", to_string(e.command));
  participant("participant", e.actor);
  str("subject", e.subject);
  end();
}

void JsonEventWriter::on_settlement(const SettlementEvent& e) {
  switch (e.kind) {
    case SettlementKind::Deposit:
    case SettlementKind::Withdrawal:
      begin(e.kind == SettlementKind::Deposit ? "deposit" : "withdrawal", e.ts);
      participant("participant", e.participant);
      fixed("amount", e.amount);
      fixed("cash_after", e.cash_after);
      break;
    case SettlementKind::RevenueShareSet:
      begin("revenue_share", e.ts);
      participant("supplier", e.participant);
      out_ += ",\"shares\":{";
      for (size_t i = 0; i < e.pieces.size(); ++i) {
        if (i) out_ += ',';
        append_json_string(out_, names_.participant_code(e.pieces[i].first));
        out_ += ':' + std::to_string(e.pieces[i].second);
      }
      out_ += '}';
      break;
    default: {
      const char* name = e.kind == SettlementKind::Escrowed           ? "escrowed"
                         : e.kind == SettlementKind::DeliveryReported ? "delivery_reported"
                         : e.kind == SettlementKind::Disputed         ? "disputed"
                                                                      : "settled";
      begin(name, e.ts);
      num("trade_id", static_cast<int64_t>(e.trade_id));
      participant("buyer", e.participant);
      participant("seller", e.counterparty);
      fixed("escrow", e.amount);
      num("contracted_device_hours", e.contracted_device_hours);
      if (e.kind != SettlementKind::Escrowed) num("delivered_device_hours", e.delivered_device_hours);
      if (e.kind == SettlementKind::DeliveryReported) str("payout_due", format_iso_time(e.payout_due));
      if (e.kind == SettlementKind::Settled) {
        fixed("supplier_gross", e.supplier_gross);
        fixed("fees", e.fees);
        fixed("refund", e.refund);
        out_ += ",\"payouts\":{";
        for (size_t i = 0; i < e.pieces.size(); ++i) {
          if (i) out_ += ',';
          append_json_string(out_, names_.participant_code(e.pieces[i].first));
          out_ += ":\"" + format_fixed(e.pieces[i].second) + '"';
        }
        out_ += '}';
        if (!e.carrier_pieces.empty()) {
          fixed("transport", e.transport);
          out_ += ",\"carriers\":[";
          for (size_t i = 0; i < e.carrier_pieces.size(); ++i) {
            if (i) out_ += ',';
            out_ += "{\"carrier\":";
            append_json_string(out_, names_.participant_code(e.carrier_pieces[i].first));
            out_ += ",\"amount\":\"" + format_fixed(e.carrier_pieces[i].second) + "\"}";
          }
          out_ += ']';
        }
      }
    }
  }
  end();
}

}  // namespace cpx::api
