// Routed orders (DESIGN.md §3.2): one buy across every book its constraints allow, cheapest landed price
// first. The router plans the whole sweep over the books as they are (the asks it would take, order by
// order, with each fill's transport fee and the buyer's credit), then sends one IOC child order per book
// that takes exactly the planned orders. Planning first gives FOK its meaning at the parent (nothing is
// sent unless the plan covers the quantity) and keeps the credit check exact: the plan knows every fill's
// cost before anything trades.
#include "engine_impl.hpp"

namespace cpx {

namespace {

// a x b / d rounded up, and rounded half away from zero (all operands >= 0, d > 0).
int64_t div_ceil(__int128 n, __int128 d) { return static_cast<int64_t>((n + d - 1) / d); }
int64_t div_round(__int128 n, __int128 d) { return static_cast<int64_t>((2 * n + d) / (2 * d)); }

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
  if (q.window_end <= q.window_start) return RejectReason::InvalidWindow;
  return std::nullopt;
}

// The books a routed order may buy from, each with its path and the transfer cost of the whole job there.
void MatchingEngine::Impl::route_candidates(const RouteQuery& q) {
  route_books_.clear();
  route_paths(links_, regions_.size(), q, route_paths_);  // one walk of the network for every region
  for (auto& owned : books_) {
    OrderBook& book = *owned;
    const InstrumentInfo& info = book.info;
    if (info.start != q.window_start || info.end != q.window_end || book.state != InstrumentState::Open) continue;
    if (route_filter(q, info.region, regions_[info.region], info.chip_class)) continue;
    if (route_paths_.why[info.region]) continue;
    RouteBook rb;
    rb.path = route_paths_.paths[info.region];
    const __int128 transfer = static_cast<__int128>(q.data_gb) * rb.path.tariff_per_gb;
    if (transfer > kMaxNotional) continue;
    rb.book = &book;
    rb.transfer_cost = static_cast<Money>(transfer);
    // The transfer per SCU-hour is the same for every SCU bought there: data moves with the SCU.
    const __int128 scu_hours = static_cast<__int128>(q.scu) * info.hours;
    rb.transfer_ceil = div_ceil(transfer * (kScuPriceScale / kScale), scu_hours);
    rb.transfer_round = div_round(transfer * (kScuPriceScale / kScale), scu_hours);
    route_books_.push_back(std::move(rb));
  }
}

// The transport fee of a fill that covers `counted` of the order's SCU, and its split over the path's
// links in proportion to their tariffs (largest remainder: the legs sum to the fee).
void MatchingEngine::Impl::route_transport(const RouteBook& rb, const RouteQuery& q, int64_t counted, PlannedFill& f) {
  f.transport = div_round(static_cast<__int128>(rb.transfer_cost) * counted, q.scu);
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
  std::stable_sort(rest, rest + n, [](const auto& a, const auto& b) { return a.first > b.first; });
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
  for (RouteBook& rb : route_books_) {
    rb.level = 0;
    rb.order = nullptr;
    rb.order_left = 0;
    rb.child_qty = 0;
    rb.child_price = 0;
    rb.first_fill = UINT32_MAX;
    rb.exhausted = false;
    rb.landed_of = nullptr;
  }
  const __int128 room = static_cast<__int128>(who.credit_limit) - who.open_buy - who.unsettled_bought;
  __int128 spent = 0;
  int64_t need_scu = q.scu;
  bool credit_short = false;
  // The book's next ask still to be planned, or nullptr when the book has nothing more for this order.
  auto next_ask = [&](RouteBook& rb) -> Order* {
    while (rb.order == nullptr || rb.order_left == 0) {
      if (rb.order != nullptr) rb.order = rb.order->next;
      if (rb.order == nullptr) {
        const BookSide& asks = rb.book->side(Side::Sell);
        if (rb.level >= asks.level_count()) return nullptr;
        rb.order = asks.from_best(rb.level++)->head;
      }
      rb.order_left = rb.order->remaining;
    }
    return rb.order;
  };
  while (need_scu > 0 && !credit_short) {
    // The cheapest landed ask over all books (ties: lower latency, then the earlier-listed book).
    RouteBook* best = nullptr;
    int64_t best_landed = 0;
    for (RouteBook& rb : route_books_) {
      if (rb.exhausted) continue;
      if (rb.landed_of != rb.order || rb.order_left == 0) {
        // The cursor moved: the next ask, its landed price and whether it is still within the limit.
        Order* ask = next_ask(rb);
        const InstrumentInfo& info = rb.book->info;
        if (!ask || ask->participant == c.participant) {  // self-trade: the child would stop there
          rb.exhausted = true;
          continue;
        }
        const __int128 scaled = static_cast<__int128>(ask->price) * (kScuPriceScale / kScale);
        if (div_ceil(scaled, info.scu_per_device) + static_cast<__int128>(rb.transfer_ceil) > q.limit_per_scu_hour) {
          rb.exhausted = true;  // asks only get dearer in this book
          continue;
        }
        rb.landed = div_round(scaled, info.scu_per_device) + rb.transfer_round;
        rb.landed_of = ask;
      }
      if (!best || rb.landed < best_landed || (rb.landed == best_landed && rb.path.latency_ms < best->path.latency_ms)) {
        best = &rb;
        best_landed = rb.landed;
      }
    }
    if (!best) break;
    RouteBook& rb = *best;
    const InstrumentInfo& info = rb.book->info;
    const Quantity lot = info.rules.lot;
    const Quantity cap = std::min(info.rules.max_order_qty, who.info.limits.max_order_qty) - rb.child_qty;
    // Whole lots of devices covering what is still needed.
    Quantity want = (need_scu + info.scu_per_device - 1) / info.scu_per_device;
    want = (want + lot - 1) / lot * lot;
    Quantity take = std::min({want, rb.order_left, cap / lot * lot});
    const Price price = rb.order->price;
    if (take > 0 && checked_mul3(std::max(price, rb.child_price), rb.child_qty + take, info.hours).value_or(kMaxNotional + 1) > kMaxNotional) {
      take = 0;  // the child order would be too large to represent
    }
    if (take <= 0) {
      // The order's remainder is not a whole lot, or the child is at its size limit: this book is done.
      rb.exhausted = true;
      continue;
    }
    auto cost_of = [&](Quantity n, PlannedFill& f) {
      const int64_t counted = std::min<int64_t>(n * info.scu_per_device, need_scu);
      route_transport(rb, q, counted, f);
      return static_cast<__int128>(buyer_cost(price, n, info.hours, true)) + f.transport;
    };
    PlannedFill f;
    f.resting = rb.order->id;
    if (spent + cost_of(take, f) > room) {
      credit_short = true;
      if (c.tif == TimeInForce::FOK) break;
      // The most whole lots that fit in what is left: start from an estimate per device, then step.
      auto fits = [&](Quantity n) {
        route_legs_.resize(f.legs_begin);
        return n > 0 && spent + cost_of(n, f) <= room;
      };
      const __int128 per_device = static_cast<__int128>(price) * info.hours * (10'000 + taker_fee_bps_) / 10'000 +
                                  static_cast<__int128>(rb.transfer_cost) * info.scu_per_device / q.scu + 1;
      Quantity n = static_cast<Quantity>(std::min<__int128>(take, (room - spent) / per_device)) / lot * lot;
      while (n > 0 && !fits(n)) n -= lot;
      while (n + lot < take && fits(n + lot)) n += lot;
      if (n <= 0 || !fits(n)) {
        route_legs_.resize(f.legs_begin);
        break;
      }
      take = n;
    }
    f.qty = take;
    f.book = static_cast<uint32_t>(&rb - route_books_.data());
    spent += static_cast<__int128>(buyer_cost(price, take, info.hours, true)) + f.transport;
    need_scu -= std::min<int64_t>(take * info.scu_per_device, need_scu);
    rb.order_left -= take;
    rb.child_qty += take;
    rb.child_price = std::max(rb.child_price, price);
    if (rb.first_fill == UINT32_MAX) rb.first_fill = static_cast<uint32_t>(route_fills_.size());
    route_fills_.push_back(f);
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

  // ---- send: one IOC child per book, books in the order the plan first used them.
  route_order_.clear();
  for (uint32_t i = 0; i < route_books_.size(); ++i) {
    if (route_books_[i].child_qty > 0) route_order_.push_back(i);
  }
  std::sort(route_order_.begin(), route_order_.end(),
            [&](uint32_t a, uint32_t b) { return route_books_[a].first_fill < route_books_[b].first_fill; });
  route_ = RouteInFlight{};
  route_.id = route_id;
  for (uint32_t i : route_order_) {
    RouteBook& rb = route_books_[i];
    OrderBook& book = *rb.book;
    Order* o = orders_.acquire();
    o->id = next_order_id_++;
    o->participant = c.participant;
    o->instrument = book.info.id;
    o->side = Side::Buy;
    o->type = OrderType::Limit;
    o->tif = TimeInForce::IOC;
    o->stp = SelfTradePrevention::CancelNewest;
    o->post_only = false;
    o->price = rb.child_price;
    o->qty = rb.child_qty;
    o->remaining = rb.child_qty;
    o->expire_at = 0;
    o->cl_ord_id = c.cl_ord_id;
    who.open_buy += reserve(book, o->price, o->qty);
    out_.on_accepted(OrderAccepted{now_, o->id, route_id, o->participant, o->instrument, o->cl_ord_id.view(),
                                   o->side, o->type, o->tif, false, o->price, o->qty, 0});
    route_.child = o;
    route_.book = i;
    route_.next_fill = rb.first_fill;
    ++done.children;
    Stop stop = match(book, *o);
    settle_aggressor(book, *o, stop);  // the plan fills the child exactly: nothing is left to end
  }
  done.filled_scu = route_.filled_scu;
  done.devices = route_.devices;
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
    if (route_fills_[i].book != route_.book) continue;
    route_.next_fill = i + 1;
    const PlannedFill& f = route_fills_[i];
    if (f.resting != resting.id || f.qty != q) ++route_plan_mismatches_;
    return &f;
  }
  ++route_plan_mismatches_;
  return nullptr;
}

}  // namespace cpx
