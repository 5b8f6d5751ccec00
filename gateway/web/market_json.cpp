// The web gateway's day-ahead auction and monitoring views (docs/PRODUCT.md §3.3, §7): published results, each
// day's state, the private auction events, and capacity per region x class.
#include "cpx/auction_book.hpp"
#include "market_stats.hpp"
#include "server/auction_runner.hpp"
#include "web/web_sink.hpp"

namespace cpx::web {

namespace {

void field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  api::append_json_string(out, value);
}

void number(std::string& out, std::string_view key, int64_t value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(value);
}

std::string day_text(Timestamp day) { return format_iso_time(day).substr(0, 10); }

void run_fields(std::string& out, const std::optional<server::AuctionRunner::Run>& run) {
  if (!run) return;
  field(out, "clearing", run->state);
  if (!run->error.empty()) field(out, "clearing_error", run->error);
  if (!run->solved) return;
  const AuctionSolverStats& s = run->stats;
  // The solver's own figures are doubles by nature (seconds, welfare in CNY as CBC reports it): published
  // as text for information; no money is computed from them.
  char buf[64];
  out += ",\"solver\":{";
  std::snprintf(buf, sizeof buf, "%.3f", s.seconds_total);
  out += "\"seconds\":\"" + std::string(buf) + "\"";
  std::snprintf(buf, sizeof buf, "%.3f", s.seconds_first_mip);
  field(out, "seconds_first_mip", buf);
  std::snprintf(buf, sizeof buf, "%.2f", s.welfare);
  field(out, "welfare_cny", buf);
  out += std::string(",\"proven_optimal\":") + (s.proven_optimal ? "true" : "false");
  number(out, "variables", s.variables);
  number(out, "binaries", s.binaries);
  number(out, "mip_nodes", s.mip_nodes);
  number(out, "pab_rounds", s.pab_rounds);
  number(out, "blocks_accepted", s.blocks_accepted);
  number(out, "blocks_rejected", s.blocks_rejected);
  number(out, "blocks_paradoxically_rejected", s.blocks_paradoxically_rejected);
  out += "}";
}

}  // namespace

std::string WebSink::auctions_json(const server::AuctionRunner& runner) const {
  std::string out = "{\"ev\":\"auctions\",\"auctions\":[";
  for (Timestamp day : engine_.auction_days()) {
    const AuctionDay* a = engine_.auction(day);
    if (out.back() != '[') out += ",";
    out += "{\"day\":";
    api::append_json_string(out, day_text(day));
    field(out, "state", to_string(a->state));
    field(out, "gate_closure", format_iso_time(a->gate_closure));
    number(out, "offers", static_cast<int64_t>(a->offers.size()));
    number(out, "bids", static_cast<int64_t>(a->bids.size()));
    run_fields(out, runner.run(day));
    out += "}";
  }
  out += "]}";
  return out;
}

std::string WebSink::auction_json(Timestamp day, const server::AuctionRunner& runner) const {
  const AuctionDay* a = engine_.auction(day);
  if (!a) return {};
  std::string out = "{\"ev\":\"auction\",\"day\":";
  api::append_json_string(out, day_text(day));
  field(out, "state", to_string(a->state));
  field(out, "gate_closure", format_iso_time(a->gate_closure));
  number(out, "offers", static_cast<int64_t>(a->offers.size()));
  number(out, "bids", static_cast<int64_t>(a->bids.size()));
  run_fields(out, runner.run(day));
  if (a->state != AuctionState::Cleared) return out + "}";
  // The solver's report as journaled with the result (so it survives restarts).
  const AuctionClearingSummary& sum = a->summary;
  out += ",\"clearing_summary\":{\"welfare_cny\":\"" + format_fixed(sum.welfare) + "\"";
  number(out, "solve_ms", sum.solve_ms);
  number(out, "first_mip_ms", sum.first_mip_ms);
  out += std::string(",\"proven_optimal\":") + (sum.proven_optimal ? "true" : "false");
  number(out, "mip_nodes", sum.mip_nodes);
  number(out, "pab_rounds", sum.pab_rounds);
  field(out, "gap", format_fixed(sum.gap_ppb, 9));
  out += std::string(",\"time_limited\":") + (sum.time_limited ? "true" : "false");
  out += "}";

  const AuctionInput& in = a->input;
  const AuctionResult& res = a->result;
  std::vector<int64_t> traded(in.zones.size() * kAuctionHours, 0), offered(in.zones.size() * kAuctionHours, 0);
  for (const AuctionOfferIn& o : in.offers) offered[o.zone * kAuctionHours + o.hour] += o.devices;
  for (const AuctionAcceptance& x : res.acceptances) {
    const AuctionOfferIn& o = in.offers[x.offer];
    traded[o.zone * kAuctionHours + o.hour] += x.devices;
  }
  int64_t accepted = 0, prb = static_cast<int64_t>(res.paradoxically_rejected.size());
  for (const AuctionBidRecord& b : a->bids) accepted += b.status == AuctionOrderStatus::Accepted ? 1 : 0;
  number(out, "accepted_bids", accepted);
  number(out, "paradoxically_rejected_bids", prb);
  // Zone prices where the zone had offers that hour (elsewhere the price is only the solver's dual).
  out += ",\"prices\":[";
  for (uint32_t z = 0; z < in.zones.size(); ++z) {
    const AuctionZone& zone = in.zones[z];
    for (int h = 0; h < kAuctionHours; ++h) {
      const size_t k = z * kAuctionHours + static_cast<size_t>(h);
      if (offered[k] == 0) continue;
      if (out.back() != '[') out += ",";
      out += "{\"hour\":" + std::to_string(h);
      field(out, "region", names_.region_code(zone.region));
      field(out, "class", names_.chip_class_code(zone.chip_class));
      field(out, "price_cny_per_scu_hour", format_fixed(res.zone_price[k], kScuPriceDecimals));
      const int64_t per_device = *mul_div_round(res.zone_price[k], zone.scu_per_device, kScuPriceScale / kScale);
      field(out, "price_cny_per_device_hour", format_fixed(per_device));
      number(out, "offered_devices", offered[k]);
      number(out, "traded_devices", traded[k]);
      out += "}";
    }
  }
  out += "]";
  // Flows per link and hour where anything moved, with the congestion price (0 when the link had room).
  std::vector<int64_t> flow_micro(in.links.size() * kAuctionHours, 0);
  for (const AuctionAllocation& x : res.allocations) {
    const AuctionBlockIn& b = in.blocks[x.block];
    const AuctionZone& zone = in.zones[x.zone];
    for (const AuctionRoute& route : b.routes) {
      if (route.zone != x.zone) continue;
      const __int128 micro = static_cast<__int128>(b.data_gb_per_hour) * x.devices * zone.scu_per_device * 1'000'000;
      const int64_t f = static_cast<int64_t>((micro + b.scu_per_hour - 1) / b.scu_per_hour);
      for (uint32_t l : route.links) {
        for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) flow_micro[l * kAuctionHours + static_cast<size_t>(h)] += f;
      }
    }
  }
  out += ",\"flows\":[";
  for (uint32_t l = 0; l < in.links.size(); ++l) {
    const AuctionLink& link = in.links[l];
    for (int h = 0; h < kAuctionHours; ++h) {
      const size_t k = l * kAuctionHours + static_cast<size_t>(h);
      if (flow_micro[k] == 0 && res.congestion[k] == 0) continue;
      if (out.back() != '[') out += ",";
      out += "{\"hour\":" + std::to_string(h);
      field(out, "from", names_.region_code(link.from));
      field(out, "to", names_.region_code(link.to));
      field(out, "carrier", names_.participant_code(link.carrier));
      field(out, "flow_gb", format_fixed(flow_micro[k], 6));
      number(out, "capacity_gb", link.capacity_gb_per_hour);
      field(out, "congestion_cny_per_gb", format_fixed(res.congestion[k], kScuPriceDecimals));
      out += "}";
    }
  }
  out += "]}";
  return out;
}

std::string WebSink::monitor_json(const persistence::Exchange& exchange, Timestamp from, Timestamp to) const {
  std::string out = "{\"ev\":\"monitor\"";
  field(out, "from", format_iso_time(from));
  field(out, "to", format_iso_time(to));
  out += ",\"zones\":[";
  for (const persistence::CapacityFigures& f : persistence::capacity_figures(exchange, from, to)) {
    if (out.back() != '[') out += ",";
    out += "{\"region\":";
    api::append_json_string(out, names_.region_code(f.region));
    field(out, "class", names_.chip_class_code(f.chip_class));
    number(out, "registered_device_hours", f.registered_device_hours);
    number(out, "offered_device_hours", f.offered_device_hours);
    number(out, "sold_device_hours", f.sold_device_hours);
    field(out, "utilisation", format_fixed(f.utilisation_bps));
    out += "}";
  }
  out += "]}";
  return out;
}

void WebSink::on_auction_state(const AuctionStateChanged& e) {
  writer_.on_auction_state(e);
  to_channel("auctions", take_line());
  if (e.state == AuctionState::Cleared && runner_) {
    market_changed_ = true;
    to_channel("auctions", auction_json(e.day_start, *runner_));
  }
}

void WebSink::publish_market() {
  if (!market_changed_ || !exchange_) return;
  const Timestamp now = engine_.now();
  if (now - last_market_publish_ < kMarketPublishNs) return;
  market_changed_ = false;
  last_market_publish_ = now;
  to_channel("indices", indices_json(*exchange_, now, 24 * kNanosPerHour));
  const Timestamp day = cst_day_start(now);
  to_channel("monitor", monitor_json(*exchange_, day, day + kNanosPerDay));
}

void WebSink::on_auction_order(const AuctionOrderAccepted& e) {
  writer_.on_auction_order(e);
  to_participant(e.participant, take_line());
}

void WebSink::on_auction_order_done(const AuctionOrderDone& e) {
  writer_.on_auction_order_done(e);
  to_participant(e.participant, take_line());
}

void WebSink::on_auction_award(const AuctionAward& e) {
  writer_.on_auction_award(e);
  const std::string line = take_line();
  to_participant(e.buyer, line, true);
  if (e.seller != e.buyer) to_participant(e.seller, line, true);
}

}  // namespace cpx::web
