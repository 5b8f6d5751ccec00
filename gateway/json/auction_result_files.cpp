// The result files of an auction day (result.json and six CSV files), the money they show, and reading a
// recorded result back (docs/AUCTION_FILES.md).
#include "json/auction_file_detail.hpp"

namespace cpx::api {

using namespace auction_file_detail;

// ---- results

AuctionMoney auction_money(const AuctionDayFile& f, const AuctionInput& in, const std::vector<AuctionPiece>& pieces) {
  AuctionMoney m;
  std::vector<AuctionBalance> all(f.participants.size());
  for (uint32_t p = 0; p < all.size(); ++p) all[p].participant = p;
  for (const AuctionPiece& p : pieces) {
    AuctionBalance& buyer = all[in.blocks[p.block].buyer];
    AuctionBalance& seller = all[in.offers[p.offer].supplier];
    buyer.bought_notional += p.notional;
    buyer.buyer_fees += p.buyer_fee;
    buyer.transport_paid += p.transport();
    seller.sold_notional += p.notional;
    seller.seller_fees += p.seller_fee;
    for (const AuctionLeg& l : p.legs) all[l.carrier].carrier_receives += l.amount;
    m.buyers_pay += p.buyer_cost();
    m.sellers_receive += p.notional - p.seller_fee;
    m.carriers_receive += p.transport();
    m.exchange_fees += p.buyer_fee + p.seller_fee;
  }
  for (const AuctionBalance& b : all)
    if (b.bought_notional || b.buyer_fees || b.transport_paid || b.sold_notional || b.seller_fees || b.carrier_receives)
      m.balances.push_back(b);
  return m;
}

ordered_json auction_stats_json(const AuctionSolverStats& s, const AuctionInput& in) {
  ordered_json whole = ordered_json::array();
  for (uint32_t b : s.rejected_whole_devices)
    if (b < in.blocks.size()) whole.push_back(in.blocks[b].id);
  return ordered_json{{"variables", s.variables},
                      {"rows", s.rows},
                      {"binaries", s.binaries},
                      {"nonzeros", s.nonzeros},
                      {"welfare_first_mip", s.welfare_first_mip},
                      {"welfare_lp", s.welfare_lp},
                      {"welfare", s.welfare},
                      {"proven_optimal", s.proven_optimal},
                      {"pab_rounds_proven", s.pab_rounds_proven},
                      {"time_limited", s.time_limited},
                      {"gap", s.gap},
                      {"mip_nodes", s.mip_nodes},
                      {"pab_rounds", s.pab_rounds},
                      {"pab_cuts", s.pab_cuts},
                      {"pab_rejected_outright", s.pab_rejected_outright},
                      {"repricings", s.repricings},
                      {"blocks_accepted", s.blocks_accepted},
                      {"blocks_rejected", s.blocks_rejected},
                      {"blocks_paradoxically_rejected", s.blocks_paradoxically_rejected},
                      {"rejected_whole_devices", whole},
                      {"seconds_first_mip", s.seconds_first_mip},
                      {"seconds_pricing", s.seconds_pricing},
                      {"seconds_schedule", s.seconds_schedule},
                      {"seconds_total", s.seconds_total}};
}

namespace {

// Everything the result files show, computed once.
struct Derived {
  std::vector<AuctionPiece> pieces;
  AuctionMoney money;
  std::vector<int64_t> devices;      // [zone * 24 + hour]: devices traded (accepted)
  std::vector<i128> flow_micro;      // [link * 24 + hour]: micro-GB, rounded up per allocation
  std::vector<Money> receipts;       // [link * 24 + hour]: what the carrier's legs pay
  std::vector<int64_t> accepted;     // per offer
  std::vector<int64_t> got_devices;  // per bid: devices an hour over all its zones
  std::vector<bool> prb;             // per bid
};

Derived derive(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r) {
  Derived d;
  d.pieces = auction_pieces(in, r);
  d.money = auction_money(f, in, d.pieces);
  d.devices.assign(in.zones.size() * kAuctionHours, 0);
  d.flow_micro.assign(in.links.size() * kAuctionHours, 0);
  d.receipts.assign(in.links.size() * kAuctionHours, 0);
  d.accepted.assign(in.offers.size(), 0);
  d.got_devices.assign(in.blocks.size(), 0);
  d.prb.assign(in.blocks.size(), false);
  for (const AuctionAcceptance& a : r.acceptances) {
    d.accepted[a.offer] = a.devices;
    const AuctionOfferIn& o = in.offers[a.offer];
    d.devices[static_cast<size_t>(o.zone) * kAuctionHours + o.hour] += a.devices;
  }
  for (const AuctionAllocation& a : r.allocations) {
    const AuctionBlockIn& b = in.blocks[a.block];
    d.got_devices[a.block] += a.devices;
    const AuctionRoute* route = route_to(b, a.zone);
    if (!route) continue;
    const i128 flow = flow_micro_gb(b, a.devices, in.zones[a.zone].scu_per_device);
    for (uint32_t l : route->links)
      for (int h = b.first_hour; h < b.first_hour + b.hours; ++h) d.flow_micro[static_cast<size_t>(l) * kAuctionHours + h] += flow;
  }
  for (uint32_t b : r.paradoxically_rejected) d.prb[b] = true;
  for (const AuctionPiece& p : d.pieces)
    for (const AuctionLeg& l : p.legs) d.receipts[static_cast<size_t>(l.link) * kAuctionHours + p.hour] += l.amount;
  return d;
}

std::string micro_gb_text(i128 micro) {
  if (micro <= INT64_MAX) return format_fixed(static_cast<int64_t>(micro), 6);
  return "overflow";
}

Money congestion_rent(i128 flow_micro, int64_t congestion) {
  return static_cast<Money>(div_round(flow_micro * congestion, static_cast<i128>(kMicro) * kScale));
}

const std::string& code_of(const AuctionDayFile& f, uint32_t participant) { return f.participants[participant].code; }

ordered_json payments_json(const AuctionDayFile& f, const AuctionInput& in, const Derived& d) {
  ordered_json out = ordered_json::array();
  for (const AuctionPiece& p : d.pieces) {
    const AuctionZone& z = in.zones[p.zone];
    ordered_json legs = ordered_json::array();
    for (const AuctionLeg& l : p.legs)
      legs.push_back(ordered_json{{"link", l.link}, {"carrier", code_of(f, l.carrier)}, {"amount", format_fixed(l.amount)}});
    out.push_back(ordered_json{{"hour", p.hour},
                               {"region", f.regions[z.region].code},
                               {"class", f.classes[z.chip_class].code},
                               {"buyer", code_of(f, in.blocks[p.block].buyer)},
                               {"bid_id", in.blocks[p.block].id},
                               {"seller", code_of(f, in.offers[p.offer].supplier)},
                               {"offer_id", in.offers[p.offer].id},
                               {"devices", p.devices},
                               {"cny_per_device_hour", format_fixed(p.price)},
                               {"notional", format_fixed(p.notional)},
                               {"buyer_fee", format_fixed(p.buyer_fee)},
                               {"seller_fee", format_fixed(p.seller_fee)},
                               {"transport", legs},
                               {"buyer_cost", format_fixed(p.buyer_cost())},
                               {"seller_receives", format_fixed(p.notional - p.seller_fee)}});
  }
  return out;
}

ordered_json balances_json(const AuctionDayFile& f, const Derived& d) {
  ordered_json out = ordered_json::array();
  for (const AuctionBalance& b : d.money.balances)
    out.push_back(ordered_json{{"participant", code_of(f, b.participant)},
                               {"bought_notional", format_fixed(b.bought_notional)},
                               {"buyer_fees", format_fixed(b.buyer_fees)},
                               {"transport_paid", format_fixed(b.transport_paid)},
                               {"buyer_pays", format_fixed(b.buyer_pays())},
                               {"sold_notional", format_fixed(b.sold_notional)},
                               {"seller_fees", format_fixed(b.seller_fees)},
                               {"seller_receives", format_fixed(b.seller_receives())},
                               {"carrier_receives", format_fixed(b.carrier_receives)},
                               {"net", format_fixed(b.net())}});
  return out;
}

ordered_json money_json(const Derived& d) {
  const AuctionMoney& m = d.money;
  return ordered_json{{"buyers_pay", format_fixed(m.buyers_pay)},
                      {"sellers_receive", format_fixed(m.sellers_receive)},
                      {"carriers_receive", format_fixed(m.carriers_receive)},
                      {"exchange_fees", format_fixed(m.exchange_fees)},
                      {"balanced", m.balanced()}};
}

}  // namespace

std::string auction_result_json(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r,
                                const ordered_json* stats) {
  const Derived d = derive(f, in, r);
  ordered_json top;
  top["format"] = kAuctionResultFormat;
  top["day"] = format_auction_day(f.day_start);
  top["fee_bps"] = f.fee_bps;
  if (stats) top["solver"] = *stats;
  int offers_accepted = 0, bids_accepted = 0;
  for (int64_t a : d.accepted) offers_accepted += a > 0;
  for (int64_t g : d.got_devices) bids_accepted += g > 0;
  int64_t device_hours = 0, scu_hours = 0;
  for (const AuctionPiece& p : d.pieces) {
    device_hours += p.devices;
    scu_hours += p.devices * in.zones[p.zone].scu_per_device;
  }
  ordered_json summary{{"offers", in.offers.size()},
                       {"offers_accepted", offers_accepted},
                       {"bids", in.blocks.size()},
                       {"bids_accepted", bids_accepted},
                       {"bids_rejected", static_cast<int>(in.blocks.size()) - bids_accepted},
                       {"bids_paradoxically_rejected", r.paradoxically_rejected.size()},
                       {"contracts", d.pieces.size()},
                       {"device_hours", device_hours},
                       {"scu_hours", scu_hours}};
  top["summary"] = summary;
  top["money"] = money_json(d);
  ordered_json prices = ordered_json::array();
  for (int h = 0; h < kAuctionHours; ++h) {
    for (size_t z = 0; z < in.zones.size(); ++z) {
      const size_t k = z * kAuctionHours + h;
      const AuctionZone& zone = in.zones[z];
      prices.push_back(ordered_json{{"hour", h},
                                    {"region", f.regions[zone.region].code},
                                    {"class", f.classes[zone.chip_class].code},
                                    {"cny_per_scu_hour", format_fixed(r.zone_price[k], kScuPriceDecimals)},
                                    {"cny_per_device_hour", format_fixed(device_price(r.zone_price[k], zone.scu_per_device))},
                                    {"devices", d.devices[k]}});
    }
  }
  top["prices"] = prices;
  ordered_json congestion = ordered_json::array();
  for (size_t l = 0; l < in.links.size(); ++l) {
    const NetworkLink& link = f.links[l];
    for (int h = 0; h < kAuctionHours; ++h) {
      const size_t k = l * kAuctionHours + h;
      congestion.push_back(ordered_json{{"link", l},
                                        {"from", f.regions[link.from].code},
                                        {"to", f.regions[link.to].code},
                                        {"carrier", code_of(f, link.carrier)},
                                        {"hour", h},
                                        {"cny_per_gb", format_fixed(r.congestion[k], kScuPriceDecimals)},
                                        {"flow_gb", micro_gb_text(d.flow_micro[k])},
                                        {"capacity_gb", in.links[l].capacity_gb_per_hour},
                                        {"congestion_rent", format_fixed(congestion_rent(d.flow_micro[k], r.congestion[k]))},
                                        {"carrier_receipts", format_fixed(d.receipts[k])}});
    }
  }
  top["congestion"] = congestion;
  ordered_json acceptances = ordered_json::array();
  for (const AuctionAcceptance& a : r.acceptances) {
    const AuctionOfferIn& o = in.offers[a.offer];
    const AuctionZone& zone = in.zones[o.zone];
    acceptances.push_back(ordered_json{{"offer_id", o.id},
                                       {"supplier", code_of(f, o.supplier)},
                                       {"region", f.regions[zone.region].code},
                                       {"class", f.classes[zone.chip_class].code},
                                       {"hour", o.hour},
                                       {"devices", a.devices}});
  }
  top["acceptances"] = acceptances;
  ordered_json allocations = ordered_json::array();
  for (const AuctionAllocation& a : r.allocations) {
    const AuctionBlockIn& b = in.blocks[a.block];
    const AuctionZone& zone = in.zones[a.zone];
    allocations.push_back(ordered_json{{"bid_id", b.id},
                                       {"buyer", code_of(f, b.buyer)},
                                       {"region", f.regions[zone.region].code},
                                       {"class", f.classes[zone.chip_class].code},
                                       {"devices", a.devices},
                                       {"scu_per_hour", a.devices * zone.scu_per_device}});
  }
  top["allocations"] = allocations;
  ordered_json prb = ordered_json::array();
  for (uint32_t b : r.paradoxically_rejected) prb.push_back(in.blocks[b].id);
  top["paradoxically_rejected"] = prb;
  top["payments"] = payments_json(f, in, d);
  top["balances"] = balances_json(f, d);
  return lines(top);
}

namespace {

std::string csv_prices(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r, const Derived& d) {
  std::string out = "hour,region,class,cny_per_scu_hour,cny_per_device_hour,devices_traded\n";
  for (int h = 0; h < kAuctionHours; ++h) {
    for (size_t z = 0; z < in.zones.size(); ++z) {
      const size_t k = z * kAuctionHours + h;
      const AuctionZone& zone = in.zones[z];
      out += std::to_string(h) + "," + f.regions[zone.region].code + "," + f.classes[zone.chip_class].code + "," +
             format_fixed(r.zone_price[k], kScuPriceDecimals) + "," +
             format_fixed(device_price(r.zone_price[k], zone.scu_per_device)) + "," + std::to_string(d.devices[k]) + "\n";
    }
  }
  return out;
}

std::string csv_acceptances(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r, const Derived& d) {
  std::string out = "offer_id,supplier,region,class,hour,devices_offered,devices_accepted,offer_price,clearing_price\n";
  for (size_t i = 0; i < in.offers.size(); ++i) {
    const AuctionOfferIn& o = in.offers[i];
    const AuctionZone& zone = in.zones[o.zone];
    out += std::to_string(o.id) + "," + code_of(f, o.supplier) + "," + f.regions[zone.region].code + "," +
           f.classes[zone.chip_class].code + "," + std::to_string(o.hour) + "," + std::to_string(o.devices) + "," +
           std::to_string(d.accepted[i]) + "," + format_fixed(o.price) + "," +
           format_fixed(device_price(r.zone_price[static_cast<size_t>(o.zone) * kAuctionHours + o.hour], zone.scu_per_device)) +
           "\n";
  }
  return out;
}

std::string csv_allocations(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r, const Derived& d) {
  std::string out = "bid_id,buyer,status,region,class,first_hour,hours,devices_per_hour,scu_per_hour,paradoxically_rejected\n";
  size_t k = 0;
  for (uint32_t j = 0; j < in.blocks.size(); ++j) {
    const AuctionBlockIn& b = in.blocks[j];
    const std::string head = std::to_string(b.id) + "," + code_of(f, b.buyer) + ",";
    const std::string hours = std::to_string(b.first_hour) + "," + std::to_string(b.hours) + ",";
    bool any = false;
    for (; k < r.allocations.size() && r.allocations[k].block == j; ++k) {
      const AuctionAllocation& a = r.allocations[k];
      const AuctionZone& zone = in.zones[a.zone];
      out += head + "accepted," + f.regions[zone.region].code + "," + f.classes[zone.chip_class].code + "," + hours +
             std::to_string(a.devices) + "," + std::to_string(a.devices * zone.scu_per_device) + ",false\n";
      any = true;
    }
    if (!any) out += head + "rejected,,," + hours + "0,0," + (d.prb[j] ? "true" : "false") + "\n";
  }
  return out;
}

std::string csv_flows(const AuctionDayFile& f, const AuctionInput& in, const AuctionResult& r, const Derived& d) {
  std::string out =
      "link,from,to,carrier,hour,flow_gb,capacity_gb,tariff_cny_per_gb,congestion_cny_per_gb,congestion_rent,carrier_receipts\n";
  for (size_t l = 0; l < in.links.size(); ++l) {
    const NetworkLink& link = f.links[l];
    for (int h = 0; h < kAuctionHours; ++h) {
      const size_t k = l * kAuctionHours + h;
      out += std::to_string(l) + "," + f.regions[link.from].code + "," + f.regions[link.to].code + "," +
             code_of(f, link.carrier) + "," + std::to_string(h) + "," + micro_gb_text(d.flow_micro[k]) + "," +
             std::to_string(in.links[l].capacity_gb_per_hour) + "," + format_fixed(link.tariff_per_gb) + "," +
             format_fixed(r.congestion[k], kScuPriceDecimals) + "," +
             format_fixed(congestion_rent(d.flow_micro[k], r.congestion[k])) + "," + format_fixed(d.receipts[k]) + "\n";
    }
  }
  return out;
}

// Carriers get a column each, in participant order.
std::vector<uint32_t> carriers_of(const AuctionDayFile& f) {
  std::set<uint32_t> set;
  for (const NetworkLink& l : f.links) set.insert(l.carrier);
  return {set.begin(), set.end()};
}

std::string csv_payments(const AuctionDayFile& f, const AuctionInput& in, const Derived& d) {
  const std::vector<uint32_t> carriers = carriers_of(f);
  std::string out = "hour,region,class,buyer,bid_id,seller,offer_id,devices,cny_per_device_hour,notional,buyer_fee,seller_fee,transport";
  for (uint32_t c : carriers) out += ",transport_" + code_of(f, c);
  out += ",buyer_cost,seller_receives\n";
  std::vector<Money> per(f.participants.size());
  for (const AuctionPiece& p : d.pieces) {
    const AuctionZone& zone = in.zones[p.zone];
    out += std::to_string(p.hour) + "," + f.regions[zone.region].code + "," + f.classes[zone.chip_class].code + "," +
           code_of(f, in.blocks[p.block].buyer) + "," + std::to_string(in.blocks[p.block].id) + "," +
           code_of(f, in.offers[p.offer].supplier) + "," + std::to_string(in.offers[p.offer].id) + "," +
           std::to_string(p.devices) + "," + format_fixed(p.price) + "," + format_fixed(p.notional) + "," +
           format_fixed(p.buyer_fee) + "," + format_fixed(p.seller_fee) + "," + format_fixed(p.transport());
    std::fill(per.begin(), per.end(), 0);
    for (const AuctionLeg& l : p.legs) per[l.carrier] += l.amount;
    for (uint32_t c : carriers) out += "," + format_fixed(per[c]);
    out += "," + format_fixed(p.buyer_cost()) + "," + format_fixed(p.notional - p.seller_fee) + "\n";
  }
  return out;
}

std::string csv_balances(const AuctionDayFile& f, const Derived& d) {
  std::string out =
      "participant,bought_notional,buyer_fees,transport_paid,buyer_pays,sold_notional,seller_fees,seller_receives,"
      "carrier_receives,exchange_receives,net\n";
  Money bought = 0, bfees = 0, transport = 0, pays = 0, sold = 0, sfees = 0, sreceives = 0, creceives = 0, net = 0;
  for (const AuctionBalance& b : d.money.balances) {
    out += code_of(f, b.participant) + "," + format_fixed(b.bought_notional) + "," + format_fixed(b.buyer_fees) + "," +
           format_fixed(b.transport_paid) + "," + format_fixed(b.buyer_pays()) + "," + format_fixed(b.sold_notional) + "," +
           format_fixed(b.seller_fees) + "," + format_fixed(b.seller_receives()) + "," + format_fixed(b.carrier_receives) +
           ",0.0000," + format_fixed(b.net()) + "\n";
    bought += b.bought_notional;
    bfees += b.buyer_fees;
    transport += b.transport_paid;
    pays += b.buyer_pays();
    sold += b.sold_notional;
    sfees += b.seller_fees;
    sreceives += b.seller_receives();
    creceives += b.carrier_receives;
    net += b.net();
  }
  const Money fees = d.money.exchange_fees;
  out += "(exchange),0.0000,0.0000,0.0000,0.0000,0.0000,0.0000,0.0000,0.0000," + format_fixed(fees) + "," + format_fixed(fees) + "\n";
  out += "(total)," + format_fixed(bought) + "," + format_fixed(bfees) + "," + format_fixed(transport) + "," + format_fixed(pays) +
         "," + format_fixed(sold) + "," + format_fixed(sfees) + "," + format_fixed(sreceives) + "," + format_fixed(creceives) +
         "," + format_fixed(fees) + "," + format_fixed(net + fees) + "\n";
  return out;
}

Result<bool> write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (out) out.close();
  if (!out) {
    return make_error("output_failed", "cannot write " + path.string() + ": " + std::strerror(errno) +
                                           "; check that the directory exists and is writable");
  }
  return true;
}

}  // namespace

Result<bool> write_auction_outputs(const std::string& dir, const AuctionDayFile& f, const AuctionInput& in,
                                   const AuctionResult& r, const ordered_json* stats) {
  // The contracts are derived only from a result that keeps the rules (auction_pieces needs it).
  if (auto ok = check_auction_result(in, r); !ok) return ok.error();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("output_failed", "cannot create the directory " + dir + ": " + ec.message());
  const std::filesystem::path base(dir);
  const Derived d = derive(f, in, r);
  const std::pair<const char*, std::string> files[] = {
      {"result.json", auction_result_json(f, in, r, stats)},
      {"prices.csv", csv_prices(f, in, r, d)},
      {"acceptances.csv", csv_acceptances(f, in, r, d)},
      {"allocations.csv", csv_allocations(f, in, r, d)},
      {"flows.csv", csv_flows(f, in, r, d)},
      {"payments.csv", csv_payments(f, in, d)},
      {"balances.csv", csv_balances(f, d)},
  };
  for (const auto& [name, text] : files)
    if (auto ok = write_text(base / name, text); !ok) return ok.error();
  return true;
}

namespace {

AuctionResult read_result(const json& doc, const AuctionDayFile& f, const AuctionInput& in) {
  const Obj top(doc, "result.json");
  if (!top.has("format") || !top.get("format").is_string() || top.get("format").get<std::string>() != kAuctionResultFormat)
    fail("result.json", "field \"format\" must be \"" + std::string(kAuctionResultFormat) + "\": is this a cpx-auction result?");
  if (top.str("day") != format_auction_day(f.day_start))
    fail("result.json", "is for " + top.str("day") + ", the day file for " + format_auction_day(f.day_start));
  std::map<std::string, size_t, std::less<>> regions, classes;
  for (size_t i = 0; i < f.regions.size(); ++i) regions.emplace(f.regions[i].code, i);
  for (size_t i = 0; i < f.classes.size(); ++i) classes.emplace(f.classes[i].code, i);
  std::map<uint64_t, uint32_t> offer_of, bid_of;
  for (uint32_t i = 0; i < in.offers.size(); ++i) offer_of[in.offers[i].id] = i;
  for (uint32_t j = 0; j < in.blocks.size(); ++j) bid_of[in.blocks[j].id] = j;
  auto zone = [&](const Obj& o) {
    const size_t r = lookup(regions, o.code("region"), o.where(), "region", "regions of the day file");
    const size_t c = lookup(classes, o.code("class"), o.where(), "class", "classes of the day file");
    return zone_of(f, static_cast<RegionId>(r), static_cast<ChipClassId>(c));
  };

  AuctionResult r;
  const size_t nz = in.zones.size() * kAuctionHours, nl = in.links.size() * kAuctionHours;
  r.zone_price.assign(nz, 0);
  r.congestion.assign(nl, 0);
  std::vector<bool> seen(nz, false);
  const json& prices = top.array("prices");
  for (size_t i = 0; i < prices.size(); ++i) {
    const Obj o(prices[i], entry("prices", i, ""));
    const size_t k = static_cast<size_t>(zone(o)) * kAuctionHours + static_cast<size_t>(o.integer("hour", 0, kAuctionHours - 1));
    if (seen[k]) fail(o.where(), "a second price for the same region, class and hour");
    seen[k] = true;
    r.zone_price[k] = o.decimal("cny_per_scu_hour", static_cast<int>(kScuPriceDecimals), 0, kMaxPrice, "0.01850000");
  }
  for (size_t k = 0; k < nz; ++k) {
    if (seen[k]) continue;
    const AuctionZone& z = in.zones[k / kAuctionHours];
    fail("result.json", "field \"prices\" has no price for " + f.regions[z.region].code + " " + f.classes[z.chip_class].code +
                            " hour " + std::to_string(k % kAuctionHours) + " (every region x class x hour has one)");
  }
  seen.assign(nl, false);
  const json& congestion = top.array("congestion");
  for (size_t i = 0; i < congestion.size(); ++i) {
    const Obj o(congestion[i], entry("congestion", i, ""));
    const int64_t l = o.integer("link", 0, static_cast<int64_t>(in.links.size()) - 1);
    const NetworkLink& link = f.links[static_cast<size_t>(l)];
    if (o.str("from") != f.regions[link.from].code || o.str("to") != f.regions[link.to].code)
      fail(o.where(), "link " + std::to_string(l) + " of the day file goes from " + f.regions[link.from].code + " to " +
                          f.regions[link.to].code);
    const size_t k = static_cast<size_t>(l) * kAuctionHours + static_cast<size_t>(o.integer("hour", 0, kAuctionHours - 1));
    if (seen[k]) fail(o.where(), "a second congestion price for the same link and hour");
    seen[k] = true;
    r.congestion[k] = o.decimal("cny_per_gb", static_cast<int>(kScuPriceDecimals), 0, kMaxPrice, "0.00000000");
  }
  for (size_t k = 0; k < nl; ++k)
    if (!seen[k])
      fail("result.json", "field \"congestion\" has no entry for link " + std::to_string(k / kAuctionHours) + " hour " +
                              std::to_string(k % kAuctionHours));
  const json& acceptances = top.array("acceptances");
  std::set<uint32_t> offers_seen;
  for (size_t i = 0; i < acceptances.size(); ++i) {
    const Obj o(acceptances[i], entry("acceptances", i, ""));
    const uint64_t id = o.id("offer_id");
    auto it = offer_of.find(id);
    if (it == offer_of.end()) fail(o.where(), "offer " + std::to_string(id) + " is not in the day file");
    if (!offers_seen.insert(it->second).second) fail(o.where(), "offer " + std::to_string(id) + " is accepted twice");
    r.acceptances.push_back(AuctionAcceptance{it->second, o.integer("devices", 1, kMaxDevices)});
  }
  std::sort(r.acceptances.begin(), r.acceptances.end(),
            [](const AuctionAcceptance& a, const AuctionAcceptance& b) { return a.offer < b.offer; });
  const json& allocations = top.array("allocations");
  std::set<std::pair<uint32_t, uint32_t>> alloc_seen;
  for (size_t i = 0; i < allocations.size(); ++i) {
    const Obj o(allocations[i], entry("allocations", i, ""));
    const uint64_t id = o.id("bid_id");
    auto it = bid_of.find(id);
    if (it == bid_of.end()) fail(o.where(), "bid " + std::to_string(id) + " is not in the day file");
    const uint32_t z = zone(o);
    if (!alloc_seen.insert({it->second, z}).second) fail(o.where(), "bid " + std::to_string(id) + " is given the same zone twice");
    r.allocations.push_back(AuctionAllocation{it->second, z, o.integer("devices", 1, kMaxDevices)});
  }
  std::sort(r.allocations.begin(), r.allocations.end(), [](const AuctionAllocation& a, const AuctionAllocation& b) {
    return a.block != b.block ? a.block < b.block : a.zone < b.zone;
  });
  const json& prb = top.array("paradoxically_rejected");
  for (const json& v : prb) {
    const uint64_t id = v.is_number_unsigned() ? v.get<uint64_t>() : 0;
    auto it = bid_of.find(id);
    if (it == bid_of.end()) fail("result.json", "field \"paradoxically_rejected\" names " + dump(v).substr(0, 40) + ", not a bid of the day file");
    r.paradoxically_rejected.push_back(it->second);
  }
  std::sort(r.paradoxically_rejected.begin(), r.paradoxically_rejected.end());
  if (std::adjacent_find(r.paradoxically_rejected.begin(), r.paradoxically_rejected.end()) != r.paradoxically_rejected.end())
    fail("result.json", "field \"paradoxically_rejected\" names a bid twice");
  return r;
}

}  // namespace

Result<AuctionResult> read_auction_result(std::string_view text, const AuctionDayFile& f, const AuctionInput& in) {
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return make_error("auction_result_file_invalid", "result.json is not valid JSON");
  try {
    return read_result(doc, f, in);
  } catch (const FileError& e) {
    return make_error("auction_result_file_invalid", e.text);
  } catch (const json::exception& e) {
    return make_error("auction_result_file_invalid", std::string("result.json could not be read: ") + e.what());
  }
}

Result<bool> compare_recorded_payments(std::string_view text, const AuctionDayFile& f, const AuctionInput& in,
                                       const AuctionResult& r) {
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("auction_result_file_invalid", "result.json is not a JSON object");
  if (auto ok = check_auction_result(in, r); !ok) return ok.error();
  const Derived d = derive(f, in, r);
  auto differ = [](const std::string& what) { return make_error("payments_differ", what); };
  auto compare = [&](const char* key, const json& derived) -> Result<bool> {
    if (!doc.contains(key)) return differ(std::string("result.json has no \"") + key + "\" to compare");
    const json& recorded = doc[key];
    if (!recorded.is_array()) return differ(std::string("field \"") + key + "\" of result.json is not an array");
    for (size_t i = 0; i < std::max(recorded.size(), derived.size()); ++i) {
      if (i >= recorded.size())
        return differ(std::string("result.json lists ") + std::to_string(recorded.size()) + " " + key + "; re-derived there are " +
                      std::to_string(derived.size()) + " (missing: " + dump(derived[i], 4000) + ")");
      if (i >= derived.size())
        return differ(std::string("result.json lists ") + std::to_string(recorded.size()) + " " + key + "; re-derived there are " +
                      std::to_string(derived.size()) + " (extra: " + dump(recorded[i], 4000) + ")");
      if (recorded[i] != derived[i])
        return differ(std::string(key) + "[" + std::to_string(i) + "] in result.json is " + dump(recorded[i], 4000) +
                      "; re-derived from the prices and allocations it is " + dump(derived[i], 4000));
    }
    return true;
  };
  if (auto ok = compare("payments", json(payments_json(f, in, d))); !ok) return ok;
  if (auto ok = compare("balances", json(balances_json(f, d))); !ok) return ok;
  const json money = json(money_json(d));
  if (!doc.contains("money") || doc["money"] != money)
    return differ("field \"money\" of result.json is " + (doc.contains("money") ? dump(doc["money"], 4000) : std::string("missing")) +
                  "; re-derived it is " + dump(money, 4000));
  return true;
}

}  // namespace cpx::api

