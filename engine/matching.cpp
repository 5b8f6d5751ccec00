// Matching: price-time priority, self-trade prevention, fills with credit and capacity bookkeeping, and
// the book maintenance around them.
#include "engine_impl.hpp"

namespace cpx {

Quantity MatchingEngine::Impl::affordable(Price price, Quantity want, int64_t hours, __int128 room) const {
  if (room <= 0) return 0;
  if (buyer_cost(price, want, hours, true) <= room) return want;
  const __int128 per_device = static_cast<__int128>(price) * hours * (10'000 + taker_fee_bps_);
  Quantity q = static_cast<Quantity>(std::min<__int128>(want, room * 10'000 / per_device));
  while (q > 0 && buyer_cost(price, q, hours, true) > room) --q;
  while (q < want && buyer_cost(price, q + 1, hours, true) <= room) ++q;
  return q;
}

bool MatchingEngine::Impl::fok_fillable(const OrderBook& book, const Order& o) const {
  const BookSide& opp = book.side(opposite(o.side));
  const ParticipantState& who = participants_[o.participant];
  Quantity need = o.remaining;
  __int128 spend = 0;
  for (size_t i = 0; i < opp.level_count(); ++i) {
    const PriceLevel* lvl = opp.from_best(i);
    if (o.type == OrderType::Limit && !crosses(o.side, o.price, lvl->price)) return false;
    if (o.type == OrderType::Market && outside_band(book, lvl->price)) return false;
    for (const Order* r = lvl->head; r; r = r->next) {
      if (r->participant == o.participant) {
        if (o.stp == SelfTradePrevention::CancelOldest) continue;
        return false;  // cancel-newest/both stop the order; decrement shrinks it without a fill
      }
      Quantity q = std::min(need, r->remaining);
      if (o.side == Side::Buy && o.type == OrderType::Market) {
        spend += buyer_cost(lvl->price, q, book.info.hours, true);
        if (static_cast<__int128>(who.open_buy) + who.unsettled_bought + spend > who.credit_limit) return false;
      }
      need -= q;
      if (need == 0) return true;
    }
  }
  return false;
}

Stop MatchingEngine::Impl::match(OrderBook& book, Order& o) {
  BookSide& opp = book.side(opposite(o.side));
  ParticipantState& taker = participants_[o.participant];
  const bool market = o.type == OrderType::Market;
  // The band is measured from the reference price when the order arrived: its own fills move the
  // reference but must not widen the band it is held to.
  const Price band_ref = book.reference_price;
  while (o.remaining > 0) {
    Price price = 0;
    if (!opp.best_price(price)) return Stop::None;
    if (!market && !crosses(o.side, o.price, price)) return Stop::None;
    if (market && outside_band(book, band_ref, price)) return Stop::PriceBand;
    PriceLevel* lvl = opp.best();
    for (Order* r = lvl->head; r && o.remaining > 0;) {
      Order* next = r->next;
      if (r->participant == o.participant) {
        switch (o.stp) {
          case SelfTradePrevention::CancelNewest:
            return Stop::SelfTrade;
          case SelfTradePrevention::CancelOldest:
            remove_resting(book, r, DoneReason::SelfTrade);
            r = next;
            continue;
          case SelfTradePrevention::CancelBoth:
            remove_resting(book, r, DoneReason::SelfTrade);
            return Stop::SelfTrade;
          case SelfTradePrevention::Decrement:
            decrement(book, o, r);
            r = next;
            continue;
        }
      }
      Quantity q = std::min(o.remaining, r->remaining);
      bool credit_short = false;
      if (market && o.side == Side::Buy) {
        // A market buy reserves nothing up front: each fill, fee included, must fit in the credit left.
        const __int128 room = static_cast<__int128>(taker.credit_limit) - taker.open_buy - taker.unsettled_bought;
        const Quantity fits = affordable(price, q, book.info.hours, room);
        if (fits < q) {
          q = fits;
          credit_short = true;
        }
        if (q == 0) return Stop::Credit;
      }
      execute(book, o, r, price, q);
      if (credit_short) return Stop::Credit;
      r = next;
    }
    // A level emptied by fills or self-trade cancels was already removed; loop to the next best.
  }
  return Stop::None;
}

void MatchingEngine::Impl::execute(OrderBook& book, Order& aggressor, Order* resting, Price price, Quantity q) {
  const int64_t hours = book.info.hours;
  const Money notional = price * q * hours;
  Order& buy = aggressor.side == Side::Buy ? aggressor : *resting;
  Order& sell = aggressor.side == Side::Buy ? *resting : aggressor;
  ParticipantState& buyer = participants_[buy.participant];
  if (buy.type == OrderType::Limit) release_open(book, buy, q);  // before the remaining shrinks
  aggressor.remaining -= q;
  resting->remaining -= q;
  resting->level->qty -= q;
  touch(book, resting->side, resting->level);
  const bool buyer_is_taker = aggressor.side == Side::Buy;
  const Money buyer_fee = fee_of(notional, buyer_is_taker ? taker_fee_bps_ : maker_fee_bps_);
  const Money seller_fee = fee_of(notional, buyer_is_taker ? maker_fee_bps_ : taker_fee_bps_);
  // A routed child's fill also pays for moving its share of the data (planned with the route).
  OrderId route_id = 0;
  Money transport = 0;
  std::span<const TransportLeg> legs;
  if (route_.child != nullptr) {
    if (const PlannedFill* f = route_fill(aggressor, *resting, q)) {
      route_id = route_.id;
      transport = f->transport;
      legs = std::span<const TransportLeg>(route_legs_.data() + f->legs_begin, f->legs_end - f->legs_begin);
      route_.compute += notional;
      route_.fees += buyer_fee;
      route_.transport += transport;
    }
  }
  buyer.unsettled_bought += notional + buyer_fee + transport;
  book.reference_price = price;
  const int64_t per_scu = *mul_div_round(price, kScuPriceScale / kScale, book.info.scu_per_device);
  out_.on_trade(Trade{now_, next_trade_id_++, book.info.id, price, q, buy.id, sell.id, buy.participant,
                      sell.participant, buy.cl_ord_id.view(), sell.cl_ord_id.view(), aggressor.side,
                      buy.remaining, sell.remaining, hours, q * book.info.scu_per_device, per_scu, notional,
                      buyer_fee, seller_fee, book.info.start, book.info.end, route_id, transport, legs});
  if (resting->remaining == 0) {
    detach_from_level(book, resting);
    forget(*resting);
  }
}

void MatchingEngine::Impl::decrement(OrderBook& book, Order& o, Order* r) {
  const Quantity d = std::min(o.remaining, r->remaining);
  // The resting order first (it is in the book), then the incoming one.
  if (r->remaining == d) {
    remove_resting(book, r, DoneReason::SelfTrade);
  } else {
    release_open(book, *r, d);
    r->level->qty -= d;
    r->remaining -= d;
    r->qty -= d;
    touch(book, r->side, r->level);
    out_.on_restated(OrderRestated{now_, r->id, r->participant, r->instrument, r->cl_ord_id.view(), r->side,
                                   d, r->remaining});
  }
  release_open(book, o, d);
  o.remaining -= d;
  o.qty -= d;
  if (o.remaining == 0) {
    emit_done(o, d, DoneReason::SelfTrade);
  } else {
    out_.on_restated(OrderRestated{now_, o.id, o.participant, o.instrument, o.cl_ord_id.view(), o.side, d,
                                   o.remaining});
  }
}

void MatchingEngine::Impl::settle_aggressor(OrderBook& book, Order& o, Stop stop) {
  if (o.remaining == 0) {
    // Fully filled, or fully decremented (decrement already reported the end).
    orders_.release(&o);
    return;
  }
  const bool can_rest = o.type == OrderType::Limit && o.tif != TimeInForce::IOC && o.tif != TimeInForce::FOK;
  if (can_rest && stop == Stop::None) {
    rest(book, &o, true);
    return;
  }
  DoneReason why = DoneReason::ImmediateRemainder;
  if (stop == Stop::SelfTrade) why = DoneReason::SelfTrade;
  if (stop == Stop::PriceBand) why = DoneReason::PriceBandReached;
  if (stop == Stop::Credit) why = DoneReason::CreditLimit;
  finish_unrested(book, o, why);
}

void MatchingEngine::Impl::finish_unrested(OrderBook& book, Order& o, DoneReason why) {
  const Quantity left = o.remaining;
  release_open(book, o, left);
  emit_done(o, left, why);
  orders_.release(&o);
}

void MatchingEngine::Impl::release_open(OrderBook& book, const Order& o, Quantity qty) {
  if (qty == 0) return;
  if (o.side == Side::Buy) {
    if (o.type == OrderType::Limit) {
      participants_[o.participant].open_buy -= reserve(book, o.price, o.remaining) - reserve(book, o.price, o.remaining - qty);
    }
  } else {
    // An accepted sell always has its seller's line: acceptance committed capacity on it.
    const auto* seller = &participants_[o.participant];
    CapacityRegistry::release(*seller->capacity_line(book.info.region, book.info.chip_class), book.info.start,
                              book.info.end, qty);
  }
}

void MatchingEngine::Impl::rest(OrderBook& book, Order* o, bool is_new) {
  PriceLevel* lvl = book.side(o->side).find_or_insert(o->price, book.info.rules.tick, [&] {
    PriceLevel* fresh = levels_.acquire();
    fresh->price = o->price;
    return fresh;
  });
  lvl->push_back(o);
  touch(book, o->side, lvl);
  if (is_new) {
    index_.insert(o->id, o);
    ParticipantState& p = participants_[o->participant];
    o->owner_prev = nullptr;
    o->owner_next = p.orders;
    if (p.orders) p.orders->owner_prev = o;
    p.orders = o;
    ++p.open_orders;
    if (o->expire_at != 0) {
      timers_.push(o->expire_at, TimerKind::OrderExpiry, o->id);
      ++live_expiring_;
    }
  }
}

void MatchingEngine::Impl::detach_from_level(OrderBook& book, Order* o) {
  PriceLevel* lvl = o->level;
  lvl->unlink(o);
  touch(book, o->side, lvl);
  if (lvl->count == 0) {
    book.side(o->side).erase(lvl->price, book.info.rules.tick);
    // The touched entry must not keep a pointer to a freed level: it now reports (0, 0).
    if (Touched* t = find_touched(book.info.id, o->side, lvl->price)) t->level = nullptr;
    levels_.release(lvl);
  }
}

void MatchingEngine::Impl::forget(Order& o) {
  index_.erase(o.id);
  ParticipantState& p = participants_[o.participant];
  if (o.owner_prev) o.owner_prev->owner_next = o.owner_next; else p.orders = o.owner_next;
  if (o.owner_next) o.owner_next->owner_prev = o.owner_prev;
  --p.open_orders;
  if (o.expire_at != 0) --live_expiring_;
  orders_.release(&o);
}

void MatchingEngine::Impl::remove_resting(OrderBook& book, Order* o, DoneReason why) {
  const Quantity left = o->remaining;
  detach_from_level(book, o);
  release_open(book, *o, left);
  emit_done(*o, left, why);
  forget(*o);
}

uint64_t MatchingEngine::Impl::clear_book(OrderBook& book, DoneReason why) {
  uint64_t n = 0;
  for (Side s : {Side::Buy, Side::Sell}) {
    BookSide& side = book.side(s);
    while (PriceLevel* lvl = side.best()) {
      while (lvl->count > 1) {
        remove_resting(book, lvl->head, why);
        ++n;
      }
      remove_resting(book, lvl->head, why);  // frees the level too
      ++n;
    }
  }
  return n;
}

}  // namespace cpx
