// The day-ahead auction in the engine (docs/PRODUCT.md §3.3): order collection with the same pre-trade risk as
// the continuous market (offers commit registered capacity, bids hold credit), the freeze of the solver's
// input at the gate, and the clearing: a result is checked in integers against the frozen input
// (check_auction_result) before any capacity, credit or contract moves.
#include "cpx/auction_codec.hpp"
#include "cpx/domain_codec.hpp"
#include "engine_impl.hpp"

namespace cpx {

std::string_view to_string(AuctionState s) {
  switch (s) {
    case AuctionState::Open: return "open";
    case AuctionState::Closed: return "closed";
    case AuctionState::Cleared: return "cleared";
    case AuctionState::Cancelled: return "cancelled";
  }
  return "?";
}

std::string_view to_string(AuctionOrderStatus s) {
  switch (s) {
    case AuctionOrderStatus::Open: return "open";
    case AuctionOrderStatus::Cancelled: return "cancelled";
    case AuctionOrderStatus::Accepted: return "accepted";
    case AuctionOrderStatus::Rejected: return "rejected";
  }
  return "?";
}

AuctionDay* MatchingEngine::Impl::open_auction_for_orders(CommandKind kind, ParticipantId p, std::string_view cl,
                                                          Timestamp day_start) {
  auto it = auctions_.find(day_start);
  if (it == auctions_.end()) {
    emit_reject(kind, p, kNoInstrument, 0, cl, RejectReason::UnknownAuction);
    return nullptr;
  }
  if (it->second.state != AuctionState::Open) {
    emit_reject(kind, p, kNoInstrument, 0, cl, RejectReason::AuctionClosed);
    return nullptr;
  }
  return &it->second;
}

void MatchingEngine::Impl::open_auction(const OpenAuction& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::OpenAuction;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return flush();
  if (c.day_start != cst_day_start(c.day_start)) return admin_reject(kind, c.actor, RejectReason::InvalidWindow);
  if (c.gate_closure >= c.day_start || c.gate_closure <= now_) {
    return admin_reject(kind, c.actor, RejectReason::ListingTooLate);
  }
  if (auctions_.count(c.day_start)) return admin_reject(kind, c.actor, RejectReason::DuplicateCode);
  AuctionDay& day = auctions_[c.day_start];
  day.day_start = c.day_start;
  day.gate_closure = c.gate_closure;
  timers_.push(c.gate_closure, TimerKind::AuctionGate, static_cast<uint64_t>(c.day_start));
  emit_auction_state(day);
  flush();
}

void MatchingEngine::Impl::auction_offer(const AuctionOffer& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::AuctionOffer;
  auto reject = [&](RejectReason r) {
    emit_reject(kind, c.participant, kNoInstrument, 0, c.cl_ord_id.view(), r);
    flush();
  };
  if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
  ParticipantState& who = participants_[c.participant];
  if (!(who.info.roles & kRoleTradeSell)) return reject(RejectReason::RoleMissing);
  AuctionDay* day = open_auction_for_orders(kind, c.participant, c.cl_ord_id.view(), c.day_start);
  if (!day) return flush();
  if (c.region >= regions_.size()) return reject(RejectReason::UnknownRegion);
  if (c.chip_class >= classes_.size()) return reject(RejectReason::UnknownChipClass);
  if (c.hour < 0 || c.hour >= kAuctionHours) return reject(RejectReason::InvalidHours);
  if (c.devices <= 0) return reject(RejectReason::InvalidQuantity);
  if (c.devices > who.info.limits.max_order_qty) return reject(RejectReason::MaxOrderQty);
  if (c.price <= 0 || c.price > kMaxPrice) return reject(RejectReason::InvalidPrice);
  if (day->orders_of[c.participant] >= who.info.limits.max_open_orders) return reject(RejectReason::MaxOpenOrders);
  const Timestamp from = c.day_start + c.hour * kNanosPerHour;
  CapacityRegistry::Steps* line = who.capacity_line(c.region, c.chip_class);
  if (!line || !CapacityRegistry::commit(*line, from, from + kNanosPerHour, c.devices)) {
    return reject(RejectReason::CapacityExceeded);
  }
  AuctionOfferRecord o;
  o.id = next_order_id_++;
  o.supplier = c.participant;
  o.cl_ord_id = c.cl_ord_id;
  o.region = c.region;
  o.chip_class = c.chip_class;
  o.hour = c.hour;
  o.devices = c.devices;
  o.price = c.price;
  day->offers.push_back(o);
  ++day->orders_of[c.participant];
  const AuctionOfferRecord& rec = day->offers.back();
  out_.on_auction_order(AuctionOrderAccepted{now_, c.day_start, rec.id, rec.supplier, rec.cl_ord_id.view(), &rec, nullptr});
  flush();
}

// The smallest device among the classes a block names: the most devices its SCU can become.
int64_t MatchingEngine::Impl::min_scu_per_device(const RouteQuery& q) const {
  int64_t least = INT64_MAX;
  for (ChipClassId c : q.classes) least = std::min(least, classes_[c].scu_per_device);
  return least == INT64_MAX ? 1 : least;
}

void MatchingEngine::Impl::auction_bid(const AuctionBid& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::AuctionBid;
  auto reject = [&](RejectReason r) {
    emit_reject(kind, c.participant, kNoInstrument, 0, c.cl_ord_id.view(), r);
    flush();
  };
  if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
  ParticipantState& who = participants_[c.participant];
  if (!(who.info.roles & kRoleTradeBuy)) return reject(RejectReason::RoleMissing);
  AuctionDay* day = open_auction_for_orders(kind, c.participant, c.cl_ord_id.view(), c.day_start);
  if (!day) return flush();
  if (c.first_hour < 0 || c.hours < 1 || c.first_hour + c.hours > kAuctionHours) return reject(RejectReason::InvalidHours);
  if (c.min_ratio_bps < 1 || c.min_ratio_bps > 10'000) return reject(RejectReason::InvalidValue);
  RouteQuery q = c.constraints;
  q.window_start = c.day_start + c.first_hour * kNanosPerHour;
  q.window_end = q.window_start + c.hours * kNanosPerHour;
  if (auto r = route_query_reject(q)) return reject(*r);
  if (day->orders_of[c.participant] >= who.info.limits.max_open_orders) return reject(RejectReason::MaxOpenOrders);
  const Money reserve = auction_block_reserve(q.scu, c.hours, q.limit_per_scu_hour, min_scu_per_device(q),
                                              std::max(maker_fee_bps_, taker_fee_bps_));
  if (reserve <= 0 || reserve > kMaxNotional) return reject(RejectReason::NotionalOverflow);
  if (!credit_allows(who, reserve)) return reject(RejectReason::CreditExceeded);
  who.open_buy += reserve;
  AuctionBidRecord b;
  b.id = next_order_id_++;
  b.buyer = c.participant;
  b.cl_ord_id = c.cl_ord_id;
  b.first_hour = c.first_hour;
  b.hours = c.hours;
  b.min_ratio_bps = c.min_ratio_bps;
  b.constraints = std::move(q);
  b.reserve = reserve;
  day->bids.push_back(std::move(b));
  ++day->orders_of[c.participant];
  const AuctionBidRecord& rec = day->bids.back();
  out_.on_auction_order(AuctionOrderAccepted{now_, c.day_start, rec.id, rec.buyer, rec.cl_ord_id.view(), nullptr, &rec});
  flush();
}

void MatchingEngine::Impl::release_offer(AuctionDay& day, AuctionOfferRecord& o, Quantity devices) {
  if (devices <= 0) return;
  const Timestamp from = day.day_start + o.hour * kNanosPerHour;
  CapacityRegistry::release(*participants_[o.supplier].capacity_line(o.region, o.chip_class), from,
                            from + kNanosPerHour, devices);
}

void MatchingEngine::Impl::cancel_auction_order(const CancelAuctionOrder& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::CancelAuctionOrder;
  if (c.participant >= participants_.size()) {
    emit_reject(kind, c.participant, kNoInstrument, c.order_id, {}, RejectReason::UnknownParticipant);
    return flush();
  }
  AuctionDay* day = open_auction_for_orders(kind, c.participant, {}, c.day_start);
  if (!day) return flush();
  auto done = [&](auto& rec, ParticipantId owner, bool is_bid) {
    if (owner != c.participant) {
      // Answered like an order that does not exist: another's order ids are not there to be probed.
      emit_reject(kind, c.participant, kNoInstrument, c.order_id, {}, RejectReason::UnknownOrder);
      return;
    }
    if (rec.status != AuctionOrderStatus::Open) {
      emit_reject(kind, c.participant, kNoInstrument, c.order_id, rec.cl_ord_id.view(), RejectReason::UnknownOrder);
      return;
    }
    rec.status = AuctionOrderStatus::Cancelled;
    --day->orders_of[owner];
    out_.on_auction_order_done(AuctionOrderDone{now_, day->day_start, rec.id, owner, rec.cl_ord_id.view(), is_bid,
                                                AuctionOrderStatus::Cancelled, 0, false});
  };
  for (AuctionOfferRecord& o : day->offers) {
    if (o.id != c.order_id) continue;
    if (o.supplier == c.participant && o.status == AuctionOrderStatus::Open) release_offer(*day, o, o.devices);
    done(o, o.supplier, false);
    return flush();
  }
  for (AuctionBidRecord& b : day->bids) {
    if (b.id != c.order_id) continue;
    if (b.buyer == c.participant && b.status == AuctionOrderStatus::Open) participants_[b.buyer].open_buy -= b.reserve;
    done(b, b.buyer, true);
    return flush();
  }
  emit_reject(kind, c.participant, kNoInstrument, c.order_id, {}, RejectReason::UnknownOrder);
  flush();
}

// Gate closure: the solver's input, frozen. Zones are every region x class known now (zone = region x
// class count + class); routes are the §3.2 filters and cheapest paths over the network as it is now.
void MatchingEngine::Impl::close_auction(AuctionDay& day) {
  if (day.state != AuctionState::Open) return;
  day.state = AuctionState::Closed;
  AuctionInput& in = day.input;
  in = AuctionInput{};
  in.day_start = day.day_start;
  in.fee_bps = maker_fee_bps_;
  const size_t nc = classes_.size();
  for (RegionId r = 0; r < regions_.size(); ++r) {
    for (ChipClassId c = 0; c < nc; ++c) in.zones.push_back(AuctionZone{r, c, classes_[c].scu_per_device});
  }
  in.links = auction_links(links_);
  day.input_offers.clear();
  day.input_bids.clear();
  for (uint32_t i = 0; i < day.offers.size(); ++i) {
    const AuctionOfferRecord& o = day.offers[i];
    if (o.status != AuctionOrderStatus::Open) continue;
    in.offers.push_back(AuctionOfferIn{o.id, o.supplier, static_cast<uint32_t>(o.region * nc + o.chip_class), o.hour,
                                       o.devices, o.price});
    day.input_offers.push_back(i);
  }
  for (uint32_t j = 0; j < day.bids.size(); ++j) {
    const AuctionBidRecord& b = day.bids[j];
    if (b.status != AuctionOrderStatus::Open) continue;
    AuctionBlockIn block = auction_block_in(b.id, b.buyer, b.first_hour, b.hours, b.min_ratio_bps, b.constraints, b.reserve);
    block.routes = auction_routes(regions_, classes_, links_, in.zones, b.constraints, b.constraints.scu);
    in.blocks.push_back(std::move(block));
    day.input_bids.push_back(j);
  }
  emit_auction_state(day);
}

void MatchingEngine::Impl::clear_auction(const ClearAuction& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::ClearAuction;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return flush();
  auto it = auctions_.find(c.day_start);
  if (it == auctions_.end()) return admin_reject(kind, c.actor, RejectReason::UnknownAuction);
  AuctionDay& day = it->second;
  if (day.state != AuctionState::Closed) return admin_reject(kind, c.actor, RejectReason::AuctionNotClosed);
  if (!c.cancel && !check_auction_result(day.input, c.result)) {
    return admin_reject(kind, c.actor, RejectReason::AuctionResultInvalid);
  }
  settle_auction(day, c.cancel ? nullptr : &c);
  flush();
}

void MatchingEngine::Impl::settle_auction(AuctionDay& day, const ClearAuction* cleared) {
  const AuctionInput& in = day.input;
  std::vector<Quantity> accepted(in.offers.size(), 0);
  std::vector<int64_t> got_scu(in.blocks.size(), 0);
  std::vector<bool> prb(in.blocks.size(), false);
  uint32_t contracts = 0;
  if (cleared) {
    const ClearAuction& c = *cleared;
    day.result = c.result;
    day.summary = c.summary;
    for (const AuctionAcceptance& a : c.result.acceptances) accepted[a.offer] = a.devices;
    for (const AuctionAllocation& a : c.result.allocations) got_scu[a.block] += a.devices * in.zones[a.zone].scu_per_device;
    for (uint32_t b : c.result.paradoxically_rejected) prb[b] = true;
    // The contracts: the buyer's cost becomes unsettled (the exchange escrows it), the seller's devices
    // stay committed as sold.
    for (const AuctionPiece& p : auction_pieces(in, c.result)) {
      const AuctionBlockIn& block = in.blocks[p.block];
      const AuctionOfferIn& offer = in.offers[p.offer];
      const AuctionZone& zone = in.zones[p.zone];
      participants_[block.buyer].unsettled_bought += p.buyer_cost();
      award_legs_.clear();
      for (const AuctionLeg& l : p.legs) award_legs_.push_back(TransportLeg{l.link, l.carrier, l.amount});
      const Timestamp from = day.day_start + p.hour * kNanosPerHour;
      out_.on_auction_award(AuctionAward{now_, next_trade_id_++, day.day_start, p.hour, zone.region, zone.chip_class,
                                         block.buyer, offer.supplier, block.id, offer.id, p.devices, p.price,
                                         p.devices * zone.scu_per_device,
                                         c.result.zone_price[p.zone * kAuctionHours + p.hour], p.notional, p.buyer_fee,
                                         p.seller_fee, p.transport(), award_legs_, from, from + kNanosPerHour});
      ++contracts;
    }
    set_auction_reference_prices(day);
  }
  // Every order the solver saw ends: offers release what was not sold, bids their whole reserve.
  for (uint32_t i = 0; i < in.offers.size(); ++i) {
    AuctionOfferRecord& o = day.offers[day.input_offers[i]];
    release_offer(day, o, o.devices - accepted[i]);
    o.accepted = accepted[i];
    o.status = accepted[i] > 0 ? AuctionOrderStatus::Accepted : AuctionOrderStatus::Rejected;
    out_.on_auction_order_done(AuctionOrderDone{now_, day.day_start, o.id, o.supplier, o.cl_ord_id.view(), false,
                                                o.status, o.accepted, false});
  }
  uint32_t accepted_bids = 0;
  for (uint32_t j = 0; j < in.blocks.size(); ++j) {
    AuctionBidRecord& b = day.bids[day.input_bids[j]];
    participants_[b.buyer].open_buy -= b.reserve;
    b.accepted_scu = got_scu[j];
    b.paradoxically_rejected = prb[j];
    b.status = got_scu[j] > 0 ? AuctionOrderStatus::Accepted : AuctionOrderStatus::Rejected;
    if (got_scu[j] > 0) ++accepted_bids;
    out_.on_auction_order_done(AuctionOrderDone{now_, day.day_start, b.id, b.buyer, b.cl_ord_id.view(), true, b.status,
                                                b.accepted_scu, b.paradoxically_rejected});
  }
  day.orders_of.clear();
  day.state = cleared ? AuctionState::Cleared : AuctionState::Cancelled;
  emit_auction_state(day, accepted_bids, contracts);
}

// An hourly book of a zone takes the auction price of its hour as reference price (the price band is
// measured from it); a daily book takes the volume-weighted price of the day's hours that traded.
void MatchingEngine::Impl::set_auction_reference_prices(const AuctionDay& day) {
  const AuctionInput& in = day.input;
  const AuctionResult& res = day.result;
  std::vector<int64_t> devices(in.zones.size() * kAuctionHours, 0);
  for (const AuctionAcceptance& a : res.acceptances) {
    const AuctionOfferIn& o = in.offers[a.offer];
    devices[o.zone * kAuctionHours + o.hour] += a.devices;
  }
  for (auto& owned : books_) {
    OrderBook& book = *owned;
    const InstrumentInfo& info = book.info;
    if (info.start < day.day_start || info.end > day.day_start + kAuctionHours * kNanosPerHour) continue;
    if (info.tenor != Tenor::Hour && info.tenor != Tenor::Day) continue;
    // The zone as frozen at the gate: a chip class added since renumbers region x class in classes_.
    size_t zone = 0;
    while (zone < in.zones.size() && (in.zones[zone].region != info.region || in.zones[zone].chip_class != info.chip_class)) ++zone;
    if (zone >= in.zones.size()) continue;
    __int128 value = 0, volume = 0;
    for (Timestamp t = info.start; t < info.end; t += kNanosPerHour) {
      const size_t k = zone * kAuctionHours + static_cast<size_t>((t - day.day_start) / kNanosPerHour);
      value += static_cast<__int128>(res.zone_price[k]) * devices[k];
      volume += devices[k];
    }
    if (volume == 0) continue;
    // Eight decimals per SCU-hour -> four per device-hour, rounded half away from zero.
    const __int128 num = value * info.scu_per_device;
    const __int128 den = volume * (kScuPriceScale / kScale);
    book.reference_price = static_cast<Price>((2 * num + den) / (2 * den));
  }
}

// Credit held by open auction bids (their reserves), added back when open_buy is recomputed from the books.
void MatchingEngine::Impl::hold_auction_reserves() {
  for (const auto& [start, day] : auctions_) {
    for (const AuctionBidRecord& b : day.bids) {
      if (b.status == AuctionOrderStatus::Open) participants_[b.buyer].open_buy += b.reserve;
    }
  }
}

void MatchingEngine::Impl::emit_auction_state(const AuctionDay& day, uint32_t accepted_bids, uint32_t contracts) {
  const bool frozen = day.state != AuctionState::Open;
  uint32_t offers = 0, bids = 0;
  if (frozen) {
    offers = static_cast<uint32_t>(day.input.offers.size());
    bids = static_cast<uint32_t>(day.input.blocks.size());
  }
  out_.on_auction_state(AuctionStateChanged{now_, day.day_start, day.state, day.gate_closure, offers, bids,
                                            accepted_bids, contracts});
}

}  // namespace cpx

namespace cpx {

void MatchingEngine::Impl::save_auctions(ByteWriter& w) const {
  w.u64(auctions_.size());
  for (const auto& [start, day] : auctions_) {
    w.i64(day.day_start);
    w.i64(day.gate_closure);
    w.u8(static_cast<uint8_t>(day.state));
    w.u64(day.offers.size());
    for (const AuctionOfferRecord& o : day.offers) {
      w.u64(o.id);
      w.u32(o.supplier);
      w.str(o.cl_ord_id.view());
      w.u32(o.region);
      w.u32(o.chip_class);
      w.u32(static_cast<uint32_t>(o.hour));
      w.i64(o.devices);
      w.i64(o.price);
      w.u8(static_cast<uint8_t>(o.status));
      w.i64(o.accepted);
    }
    w.u64(day.bids.size());
    for (const AuctionBidRecord& b : day.bids) {
      w.u64(b.id);
      w.u32(b.buyer);
      w.str(b.cl_ord_id.view());
      w.u32(static_cast<uint32_t>(b.first_hour));
      w.u32(static_cast<uint32_t>(b.hours));
      w.i64(b.min_ratio_bps);
      put(w, b.constraints);
      w.i64(b.reserve);
      w.u8(static_cast<uint8_t>(b.status));
      w.i64(b.accepted_scu);
      w.u8(b.paradoxically_rejected ? 1 : 0);
    }
    put(w, day.input);
    w.u64(day.input_offers.size());
    for (uint32_t i : day.input_offers) w.u32(i);
    w.u64(day.input_bids.size());
    for (uint32_t j : day.input_bids) w.u32(j);
    put(w, day.result);
    put(w, day.summary);
  }
}

bool MatchingEngine::Impl::load_auctions(ByteReader& r, bool with_summaries) {
  for (uint64_t n = r.count(17), i = 0; i < n && r.ok(); ++i) {
    AuctionDay day;
    day.day_start = r.i64();
    day.gate_closure = r.i64();
    day.state = r.small_enum<AuctionState>(4);
    for (uint64_t m = r.count(48), k = 0; k < m && r.ok(); ++k) {
      AuctionOfferRecord o;
      o.id = r.u64();
      o.supplier = r.u32();
      r.cl_ord_id(o.cl_ord_id);
      o.region = static_cast<RegionId>(r.u32());
      o.chip_class = static_cast<ChipClassId>(r.u32());
      o.hour = static_cast<int32_t>(r.u32());
      o.devices = r.i64();
      o.price = r.i64();
      o.status = r.small_enum<AuctionOrderStatus>(4);
      o.accepted = r.i64();
      if (o.status == AuctionOrderStatus::Open) ++day.orders_of[o.supplier];
      day.offers.push_back(o);
    }
    for (uint64_t m = r.count(48), k = 0; k < m && r.ok(); ++k) {
      AuctionBidRecord b;
      b.id = r.u64();
      b.buyer = r.u32();
      r.cl_ord_id(b.cl_ord_id);
      b.first_hour = static_cast<int32_t>(r.u32());
      b.hours = static_cast<int32_t>(r.u32());
      b.min_ratio_bps = r.i64();
      get(r, b.constraints);
      b.reserve = r.i64();
      b.status = r.small_enum<AuctionOrderStatus>(4);
      b.accepted_scu = r.i64();
      b.paradoxically_rejected = r.u8() != 0;
      if (b.status == AuctionOrderStatus::Open) ++day.orders_of[b.buyer];
      day.bids.push_back(std::move(b));
    }
    get(r, day.input);
    for (uint64_t m = r.count(4), k = 0; k < m; ++k) day.input_offers.push_back(r.u32());
    for (uint64_t m = r.count(4), k = 0; k < m; ++k) day.input_bids.push_back(r.u32());
    get(r, day.result);
    if (with_summaries) get(r, day.summary);
    if (!r.ok()) return false;
    for (uint32_t k : day.input_offers) {
      if (k >= day.offers.size()) return false;
    }
    for (uint32_t k : day.input_bids) {
      if (k >= day.bids.size()) return false;
    }
    if (day.input_offers.size() != day.input.offers.size() || day.input_bids.size() != day.input.blocks.size()) return false;
    const Timestamp key = day.day_start;
    auctions_.emplace(key, std::move(day));
  }
  return r.ok();
}

}  // namespace cpx
