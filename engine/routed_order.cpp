// Routed orders (docs/PRODUCT.md §3.2): one buy across every book its constraints allow, cheapest landed price
// first. The router plans the whole sweep over the books as they are (the asks it would take, order by
// order, with each fill's transport fee and the buyer's credit), then sends one IOC child order per book
// that takes exactly the planned orders. Planning first gives FOK its meaning at the parent (nothing is
// sent unless the plan covers the quantity) and keeps the credit check exact: the plan knows every fill's
// cost before anything trades.
#include "engine_impl.hpp"

#include <numeric>

namespace cpx {

namespace {

// n / d rounded up, and rounded half away from zero (n >= 0, d > 0).
__int128 div_ceil(__int128 n, __int128 d) { return (n + d - 1) / d; }
__int128 div_round(__int128 n, __int128 d) { return (2 * n + d) / (2 * d); }

}  // namespace

std::optional<RejectReason> MatchingEngine::Impl::route_query_reject(const RouteQuery& q) const {
  if (q.classes.empty()) return RejectReason::UnknownChipClass;
  for (ChipClassId c : q.classes) {
    if (c >= classes_.size()) return RejectReason::UnknownChipClass;
    if (classes_[c].family != classes_[q.classes.front()].family) return RejectReason::InvalidValue;
  }
  for (RegionId r : q.regions) {
    if (r >= regions_.size()) return RejectReason::UnknownRegion;
  }
  if (q.origin >= regions_.size()) return RejectReason::UnknownRegion;
  if (q.scu <= 0 || q.scu > kMaxDevices) return RejectReason::InvalidQuantity;
  if (q.limit_per_scu_hour <= 0 || q.limit_per_scu_hour > kMaxPrice) return RejectReason::InvalidPrice;
  if (q.data_gb < 0 || q.data_gb > 1'000'000'000 || q.max_latency_ms < -1 || q.min_green_share < 0 ||
      q.min_green_share > kScale) {
    return RejectReason::InvalidValue;
  }
  if (q.jurisdictions.size() > kMaxRouteJurisdictions) return RejectReason::InvalidValue;
  if (q.window_end <= q.window_start) return RejectReason::InvalidWindow;
  return std::nullopt;
}

// The candidates of a routed order: per zone, the books that tile its window (one walk of the network
// gives the path to every region), with the transfer cost of the whole job there.
void MatchingEngine::Impl::route_candidates(const RouteQuery& q) {
  route_book_count_ = 0;
  route_paths(links_, regions_.size(), q, route_paths_);
  route_infos_.resize(books_.size());
  for (InstrumentId id = 0; id < books_.size(); ++id) route_infos_[id] = &books_[id]->info;
  find_window_tilings(route_infos_, q.window_start, q.window_end, route_tilings_);
  for (size_t i = 0; i < route_tilings_.count; ++i) {
    const WindowTiling& t = route_tilings_.list[i];
    if (route_filter(q, t.region, regions_[t.region], t.chip_class) || route_paths_.why[t.region]) continue;
    // The next slot, reset to a fresh RouteBook except for its vectors' buffers.
    if (route_books_.size() == route_book_count_) route_books_.emplace_back();
    RouteBook& rb = route_books_[route_book_count_];
    std::vector<RouteSegment> segments = std::move(rb.segments);
    NetworkPath path = std::move(rb.path);
    rb = RouteBook{};
    rb.segments = std::move(segments);
    rb.segments.clear();
    rb.path = std::move(path);
    rb.path = route_paths_.paths[t.region];
    rb.hours = t.hours;
    rb.scu_per_device = classes_[t.chip_class].scu_per_device;
    rb.cap = INT64_MAX;
    bool open = true;
    for (InstrumentId id : t.books) {
      OrderBook& book = *books_[id];
      open = open && book.state == InstrumentState::Open;
      rb.lot = std::lcm(rb.lot, book.info.rules.lot);
      rb.cap = std::min(rb.cap, book.info.rules.max_order_qty);
      RouteSegment seg;
      seg.book = &book;
      rb.segments.push_back(seg);
    }
    const __int128 transfer = static_cast<__int128>(q.data_gb) * rb.path.tariff_per_gb;
    if (!open || transfer > kMaxNotional || rb.lot > kMaxDevices) continue;
    rb.transfer_cost = static_cast<Money>(transfer);
    // The transfer per SCU-hour is the same for every SCU bought there: data moves with the SCU. Above
    // the largest limit there is, no ask could be bought there.
    const __int128 scu_hours = static_cast<__int128>(q.scu) * t.hours;
    const __int128 transfer_ceil = div_ceil(transfer * (kScuPriceScale / kScale), scu_hours);
    if (transfer_ceil > kMaxPrice) continue;
    rb.transfer_ceil = static_cast<int64_t>(transfer_ceil);
    rb.transfer_round = static_cast<int64_t>(div_round(transfer * (kScuPriceScale / kScale), scu_hours));
    ++route_book_count_;
  }
}

// The transport fee of a step that covers `counted` more of the order's SCU, and its split over the
// path's links in proportion to their tariffs (largest remainder: the legs sum to the fee). Rounded on
// the running total, so that the steps to one region together pay transfer x SCU covered / SCU, rounded
// once, however many steps it took.
void MatchingEngine::Impl::route_transport(const RouteBook& rb, const RouteQuery& q, int64_t counted, PlannedFill& f) {
  const __int128 whole = rb.transfer_cost;
  f.transport = static_cast<Money>(div_round(whole * (rb.counted_scu + counted), q.scu) - div_round(whole * rb.counted_scu, q.scu));
  f.legs_begin = static_cast<uint32_t>(route_legs_.size());
  f.legs_end = f.legs_begin;
  if (f.transport == 0 || rb.path.tariff_per_gb == 0) return;
  Money given = 0;
  std::pair<__int128, uint32_t> rest[kMaxPathLinks];
  const uint32_t n = static_cast<uint32_t>(rb.path.links.size());
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t link = rb.path.links[i];
    const __int128 scaled = static_cast<__int128>(f.transport) * links_[link].tariff_per_gb;
    const Money part = static_cast<Money>(scaled / rb.path.tariff_per_gb);
    route_legs_.push_back(TransportLeg{link, links_[link].carrier, part});
    rest[i] = {scaled % rb.path.tariff_per_gb, i};
    given += part;
  }
  // Largest remainder first, ties in path order: an insertion sort of at most kMaxPathLinks entries
  // (std::stable_sort would allocate a buffer at every step of a plan).
  for (uint32_t i = 1; i < n; ++i) {
    for (uint32_t k = i; k > 0 && rest[k - 1].first < rest[k].first; --k) std::swap(rest[k - 1], rest[k]);
  }
  for (size_t k = 0; given < f.transport; ++k, ++given) ++route_legs_[f.legs_begin + rest[k].second].amount;
  f.legs_end = static_cast<uint32_t>(route_legs_.size());
}

void MatchingEngine::Impl::routed_order(const RoutedOrder& c) {
  begin(c.ts);
  const RouteQuery& q = c.query;
  auto reject = [&](RejectReason r) {
    emit_reject(CommandKind::RoutedOrder, c.participant, kNoInstrument, 0, c.cl_ord_id.view(), r);
    flush();
  };
  if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
  ParticipantState& who = participants_[c.participant];
  if (!(who.info.roles & kRoleTradeBuy)) return reject(RejectReason::RoleMissing);
  if (c.tif != TimeInForce::IOC && c.tif != TimeInForce::FOK) return reject(RejectReason::InvalidOrderType);
  if (auto r = route_query_reject(q)) return reject(*r);

  // ---- plan
  route_candidates(q);
  route_fills_.clear();
  route_legs_.clear();
  const __int128 room = static_cast<__int128>(who.credit_limit) - who.open_buy - who.unsettled_bought;
  __int128 spent = 0;
  int64_t need_scu = q.scu;
  int64_t planned_scu = 0;
  Quantity planned_devices = 0;
  bool credit_short = false;
  // A segment's next ask still to be planned, or nullptr when the book has nothing more for this order.
  auto next_ask = [](RouteSegment& seg) -> Order* {
    while (seg.order == nullptr || seg.order_left == 0) {
      if (seg.order != nullptr) seg.order = seg.order->next;
      if (seg.order == nullptr) {
        const BookSide& asks = seg.book->side(Side::Sell);
        if (seg.level >= asks.level_count()) return nullptr;
        seg.order = asks.from_best(seg.level++)->head;
      }
      seg.order_left = seg.order->remaining;
    }
    return seg.order;
  };
  while (need_scu > 0 && !credit_short) {
    // The cheapest landed step over all candidates (ties: lower latency, then the earlier-listed book).
    RouteBook* best = nullptr;
    int64_t best_landed = 0;
    for (RouteBook& rb : route_books()) {
      if (rb.exhausted) continue;
      if (!rb.landed_valid) {
        // A device for the whole window costs the sum of each book's current ask x its hours.
        __int128 per_device = 0;
        for (RouteSegment& seg : rb.segments) {
          Order* ask = next_ask(seg);
          // Self-trade, or an ask outside the book's price band: the child would stop there (a market
          // order stops at the band too; a limit order could not be priced beyond it).
          if (!ask || ask->participant == c.participant || outside_band(*seg.book, ask->price)) {
            rb.exhausted = true;
            break;
          }
          per_device += static_cast<__int128>(ask->price) * seg.book->info.hours;
        }
        if (rb.exhausted) continue;
        const __int128 scaled = per_device * (kScuPriceScale / kScale);
        const __int128 den = static_cast<__int128>(rb.scu_per_device) * rb.hours;
        if (div_ceil(scaled, den) + static_cast<__int128>(rb.transfer_ceil) > q.limit_per_scu_hour) {
          rb.exhausted = true;  // asks only get dearer in these books
          continue;
        }
        rb.landed = div_round(scaled, den) + rb.transfer_round;
        rb.landed_valid = true;
      }
      if (!best || rb.landed < best_landed || (rb.landed == best_landed && rb.path.latency_ms < best->path.latency_ms)) {
        best = &rb;
        best_landed = rb.landed;
      }
    }
    if (!best) break;
    RouteBook& rb = *best;
    const Quantity lot = rb.lot;
    // Whole lots of devices covering what is still needed, no more than any current ask has left, and
    // within the child size limit.
    Quantity want = (need_scu + rb.scu_per_device - 1) / rb.scu_per_device;
    want = (want + lot - 1) / lot * lot;
    Quantity take = std::min(want, std::min(rb.cap, who.info.limits.max_order_qty) - rb.planned);
    for (const RouteSegment& seg : rb.segments) take = std::min(take, seg.order_left);
    take = take / lot * lot;
    for (const RouteSegment& seg : rb.segments) {
      const Price p = std::max(seg.child_price, seg.order->price);
      if (take > 0 && checked_mul3(p, seg.child_qty + take, seg.book->info.hours).value_or(kMaxNotional + 1) > kMaxNotional) {
        take = 0;  // the child order would be too large to represent
      }
    }
    if (take <= 0) {
      // An ask's remainder is not a whole lot, or a child is at its size limit: this candidate is done.
      rb.exhausted = true;
      continue;
    }
    // Does this step join the fill of the ask the segment's last step took (see below)?
    auto joined = [&](const RouteSegment& seg) {
      return seg.last_fill != UINT32_MAX && route_fills_[seg.last_fill].resting == seg.order->id;
    };
    // What `n` devices cost now: each book's ask x hours + the taker fee, and the transport of their data.
    // A joined fill is one trade whose fee is rounded on its whole notional: the step costs the difference.
    PlannedFill lead;
    auto cost_of = [&](Quantity n) {
      route_legs_.resize(lead.legs_begin);
      route_transport(rb, q, std::min<int64_t>(n * rb.scu_per_device, need_scu), lead);
      __int128 cost = lead.transport;
      for (const RouteSegment& seg : rb.segments) {
        const Quantity before = joined(seg) ? route_fills_[seg.last_fill].qty : 0;
        const int64_t hours = seg.book->info.hours;
        cost += buyer_cost(seg.order->price, before + n, hours, true) - buyer_cost(seg.order->price, before, hours, true);
      }
      return cost;
    };
    lead.legs_begin = static_cast<uint32_t>(route_legs_.size());
    if (spent + cost_of(take) > room) {
      credit_short = true;
      if (c.tif == TimeInForce::FOK) break;
      // The most whole lots that fit in what is left: start from an estimate per device, then step.
      __int128 per_device = static_cast<__int128>(rb.transfer_cost) * rb.scu_per_device / q.scu + 1;
      for (const RouteSegment& seg : rb.segments) {
        per_device += static_cast<__int128>(seg.order->price) * seg.book->info.hours * (10'000 + taker_fee_bps_) / 10'000 + 1;
      }
      auto fits = [&](Quantity n) { return n > 0 && spent + cost_of(n) <= room; };
      Quantity n = static_cast<Quantity>(std::min<__int128>(take, (room - spent) / per_device)) / lot * lot;
      while (n > 0 && !fits(n)) n -= lot;
      while (n + lot < take && fits(n + lot)) n += lot;
      if (n <= 0 || !fits(n)) {
        route_legs_.resize(lead.legs_begin);
        break;
      }
      take = n;
    }
    spent += cost_of(take);
    const int64_t counted = std::min<int64_t>(take * rb.scu_per_device, need_scu);
    need_scu -= counted;
    rb.counted_scu += counted;
    planned_scu += take * rb.scu_per_device;
    planned_devices += take;
    rb.planned += take;
    rb.landed_valid = false;
    for (size_t i = 0; i < rb.segments.size(); ++i) {
      RouteSegment& seg = rb.segments[i];
      // Matching makes one trade per resting ask: a step that takes more of the ask the segment's last
      // step took (another book of the window held that step short) joins that fill.
      if (joined(seg)) {
        PlannedFill& prev = route_fills_[seg.last_fill];
        prev.qty += take;
        if (i == 0 && lead.transport > 0) {
          const uint32_t n = lead.legs_end - lead.legs_begin;
          if (prev.legs_end - prev.legs_begin == n) {
            for (uint32_t k = 0; k < n; ++k) route_legs_[prev.legs_begin + k].amount += route_legs_[lead.legs_begin + k].amount;
            route_legs_.resize(lead.legs_begin);
          } else {  // the earlier step moved no data: its legs are these (the last ones written)
            prev.legs_begin = lead.legs_begin;
            prev.legs_end = lead.legs_end;
          }
          prev.transport += lead.transport;
        }
      } else {
        PlannedFill f = i == 0 ? lead : PlannedFill{};
        if (i != 0) f.legs_begin = f.legs_end = static_cast<uint32_t>(route_legs_.size());
        f.instrument = seg.book->info.id;
        f.resting = seg.order->id;
        f.qty = take;
        if (seg.first_fill == UINT32_MAX) seg.first_fill = static_cast<uint32_t>(route_fills_.size());
        seg.last_fill = static_cast<uint32_t>(route_fills_.size());
        route_fills_.push_back(f);
      }
      seg.order_left -= take;
      seg.child_qty += take;
      seg.child_price = std::max(seg.child_price, seg.order->price);
    }
  }

  const OrderId route_id = next_order_id_++;
  out_.on_route_accepted(RouteAccepted{now_, route_id, c.participant, c.cl_ord_id.view(), c.tif, q.scu,
                                       q.limit_per_scu_hour, q.origin, q.data_gb, q.window_start, q.window_end});
  RouteDone done{now_, route_id, c.participant, c.cl_ord_id.view(), q.scu, 0, 0, 0, 0, 0, 0, DoneReason::Filled};
  if (need_scu > 0) done.reason = credit_short ? DoneReason::CreditLimit : DoneReason::ImmediateRemainder;
  if (need_scu > 0 && c.tif == TimeInForce::FOK) {
    done.reason = DoneReason::FokNotFilled;
    out_.on_route_done(done);
    flush();
    return;
  }

  // ---- send: one IOC child per book, in the order the plan first used the books.
  route_order_.clear();
  for (uint32_t i = 0; i < route_book_count_; ++i) {
    for (uint32_t k = 0; k < route_books_[i].segments.size(); ++k) {
      if (route_books_[i].segments[k].child_qty > 0) route_order_.emplace_back(i, k);
    }
  }
  std::sort(route_order_.begin(), route_order_.end(), [&](const auto& a, const auto& b) {
    return route_books_[a.first].segments[a.second].first_fill < route_books_[b.first].segments[b.second].first_fill;
  });
  route_ = RouteInFlight{};
  route_.id = route_id;
  for (const auto& [i, k] : route_order_) {
    RouteSegment& seg = route_books_[i].segments[k];
    OrderBook& book = *seg.book;
    Order* o = orders_.acquire();
    o->id = next_order_id_++;
    o->participant = c.participant;
    o->instrument = book.info.id;
    o->side = Side::Buy;
    o->type = OrderType::Limit;
    o->tif = TimeInForce::IOC;
    o->stp = SelfTradePrevention::CancelNewest;
    o->post_only = false;
    o->price = seg.child_price;
    o->qty = seg.child_qty;
    o->remaining = seg.child_qty;
    o->expire_at = 0;
    o->cl_ord_id = c.cl_ord_id;
    who.open_buy += reserve(book, o->price, o->qty);
    out_.on_accepted(OrderAccepted{now_, o->id, route_id, o->participant, o->instrument, o->cl_ord_id.view(),
                                   o->side, o->type, o->tif, false, o->price, o->qty, 0});
    route_.child = o;
    route_.next_fill = seg.first_fill;
    ++done.children;
    Stop stop = match(book, *o);
    settle_aggressor(book, *o, stop);  // the plan fills the child exactly: nothing is left to end
  }
  done.filled_scu = planned_scu;
  done.devices = planned_devices;
  done.compute_cost = route_.compute;
  done.fees = route_.fees;
  done.transport_cost = route_.transport;
  route_ = RouteInFlight{};
  out_.on_route_done(done);
  flush();
}

// The planned fill a routed child's trade carries out: its transport fee and legs.
const MatchingEngine::Impl::PlannedFill* MatchingEngine::Impl::route_fill(const Order& aggressor, const Order& resting,
                                                                          Quantity q) {
  if (route_.child != &aggressor) return nullptr;
  // The next fill of this child's book in plan order; the child meets the planned asks in the same order.
  for (uint32_t i = route_.next_fill; i < route_fills_.size(); ++i) {
    if (route_fills_[i].instrument != aggressor.instrument) continue;
    route_.next_fill = i + 1;
    const PlannedFill& f = route_fills_[i];
    if (f.resting != resting.id || f.qty != q) ++route_plan_mismatches_;
    return &f;
  }
  ++route_plan_mismatches_;
  return nullptr;
}

}  // namespace cpx
