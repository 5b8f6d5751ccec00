// Order entry: new orders (every pre-trade risk check), cancels, replaces, mass cancels.
#include "engine_impl.hpp"

namespace cpx {

void MatchingEngine::Impl::new_order(const NewOrder& c) {
  begin(c.ts);
  auto reject = [&](RejectReason r) {
    emit_reject(CommandKind::NewOrder, c.participant, c.instrument, 0, c.cl_ord_id.view(), r, c.side);
    flush();
  };
  if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
  if (c.instrument >= books_.size()) return reject(RejectReason::UnknownInstrument);
  ParticipantState& who = participants_[c.participant];
  OrderBook& book = *books_[c.instrument];
  if (auto r = trading_state_reject(book)) return reject(*r);
  if (!(who.info.roles & (c.side == Side::Buy ? kRoleTradeBuy : kRoleTradeSell))) {
    return reject(RejectReason::RoleMissing);
  }
  const bool is_market = c.type == OrderType::Market;
  const bool immediate = c.tif == TimeInForce::IOC || c.tif == TimeInForce::FOK;
  if ((is_market && !immediate) || (c.post_only && (is_market || immediate))) {
    return reject(RejectReason::InvalidOrderType);
  }
  if ((c.tif == TimeInForce::GTD) != (c.expire_at != 0) ||
      (c.tif == TimeInForce::GTD && c.expire_at <= now_)) {
    return reject(RejectReason::InvalidExpiry);
  }
  const InstrumentRules& rules = book.info.rules;
  if (c.qty <= 0) return reject(RejectReason::InvalidQuantity);
  if (c.qty % rules.lot != 0) return reject(RejectReason::LotSize);
  if (c.qty > rules.max_order_qty || c.qty > who.info.limits.max_order_qty) {
    return reject(RejectReason::MaxOrderQty);
  }
  if (!is_market) {
    if (c.price <= 0 || c.price > kMaxPrice) return reject(RejectReason::InvalidPrice);
    if (c.price % rules.tick != 0) return reject(RejectReason::TickSize);
    if (outside_band(book, c.price)) return reject(RejectReason::PriceBand);
    auto notional = checked_mul3(c.price, c.qty, book.info.hours);
    if (!notional || *notional > kMaxNotional) return reject(RejectReason::NotionalOverflow);
  }
  if (!immediate && who.open_orders >= who.info.limits.max_open_orders) {
    return reject(RejectReason::MaxOpenOrders);
  }
  if (c.side == Side::Buy && !is_market && !credit_allows(who, reserve(book, c.price, c.qty))) {
    return reject(RejectReason::CreditExceeded);
  }
  if (c.post_only) {
    Price best = 0;
    if (book.side(opposite(c.side)).best_price(best) && crosses(c.side, c.price, best)) {
      return reject(RejectReason::PostOnlyWouldCross);
    }
  }
  if (c.side == Side::Sell) {
    CapacityRegistry::Steps* capacity = who.capacity_line(book.info.region, book.info.chip_class);
    if (!capacity || !CapacityRegistry::commit(*capacity, book.info.start, book.info.end, c.qty)) {
      return reject(RejectReason::CapacityExceeded);
    }
  }

  Order* o = orders_.acquire();
  o->id = next_order_id_++;
  o->participant = c.participant;
  o->instrument = c.instrument;
  o->side = c.side;
  o->type = c.type;
  o->tif = c.tif;
  o->stp = c.stp;
  o->post_only = c.post_only;
  o->price = is_market ? 0 : c.price;
  o->qty = c.qty;
  o->remaining = c.qty;
  o->expire_at = c.tif == TimeInForce::DAY ? next_cst_midnight(now_) : c.expire_at;
  o->cl_ord_id = c.cl_ord_id;
  if (c.side == Side::Buy && !is_market) who.open_buy += reserve(book, c.price, c.qty);

  out_.on_accepted(OrderAccepted{now_, o->id, 0, o->participant, o->instrument, o->cl_ord_id.view(), o->side,
                                 o->type, o->tif, o->post_only, o->price, o->qty, o->expire_at});

  if (c.tif == TimeInForce::FOK && !fok_fillable(book, *o)) {
    finish_unrested(book, *o, DoneReason::FokNotFilled);
  } else {
    Stop stop = match(book, *o);
    settle_aggressor(book, *o, stop);
  }
  flush();
}

void MatchingEngine::Impl::cancel(const CancelOrder& c) {
  begin(c.ts);
  Order* o = index_.find(c.order_id);
  // Another participant's order is answered exactly like an order that does not exist (unknown_order, no
  // symbol): otherwise order ids could be probed for what others have open, and where.
  if (o && o->participant != c.participant) o = nullptr;
  auto reject = [&](RejectReason r) {
    emit_reject(CommandKind::CancelOrder, c.participant, o ? o->instrument : kNoInstrument, c.order_id,
                c.cl_ord_id.view(), r);
    flush();
  };
  if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
  if (!o) return reject(RejectReason::UnknownOrder);
  remove_resting(*books_[o->instrument], o, DoneReason::Cancelled);
  flush();
}

void MatchingEngine::Impl::replace(const ReplaceOrder& c) {
  begin(c.ts);
  Order* o = index_.find(c.order_id);
  if (o && o->participant != c.participant) o = nullptr;  // as in cancel: no probing of others' orders
  auto reject = [&](RejectReason r) {
    emit_reject(CommandKind::ReplaceOrder, c.participant, o ? o->instrument : kNoInstrument, c.order_id,
                c.cl_ord_id.view(), r);
    flush();
  };
  if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
  if (!o) return reject(RejectReason::UnknownOrder);
  OrderBook& book = *books_[o->instrument];
  if (auto r = trading_state_reject(book)) return reject(*r);
  ParticipantState& who = participants_[o->participant];
  const InstrumentRules& rules = book.info.rules;
  const Price new_price = c.price != 0 ? c.price : o->price;
  const Quantity new_qty = c.qty != 0 ? c.qty : o->qty;
  const bool new_id = !c.cl_ord_id.empty() && !(c.cl_ord_id == o->cl_ord_id);
  if (new_price == o->price && new_qty == o->qty && !new_id) return reject(RejectReason::NothingToChange);
  if (new_price < 0 || new_price > kMaxPrice) return reject(RejectReason::InvalidPrice);
  if (new_qty < 0) return reject(RejectReason::InvalidQuantity);
  if (new_qty <= o->filled()) return reject(RejectReason::QtyBelowFilled);
  if (new_price != o->price) {
    if (new_price % rules.tick != 0) return reject(RejectReason::TickSize);
    if (outside_band(book, new_price)) return reject(RejectReason::PriceBand);
  }
  if (new_qty % rules.lot != 0) return reject(RejectReason::LotSize);
  if (new_qty > rules.max_order_qty || new_qty > who.info.limits.max_order_qty) {
    return reject(RejectReason::MaxOrderQty);
  }
  const Quantity new_remaining = new_qty - o->filled();
  auto new_notional = checked_mul3(new_price, new_remaining, book.info.hours);
  if (!new_notional || *new_notional > kMaxNotional) return reject(RejectReason::NotionalOverflow);
  const Money new_reserved = reserve(book, new_price, new_remaining);
  const Money old_reserved = reserve(book, o->price, o->remaining);
  if (o->side == Side::Buy && new_reserved > old_reserved && !credit_allows(who, new_reserved - old_reserved)) {
    return reject(RejectReason::CreditExceeded);
  }
  if (o->post_only && new_price != o->price) {
    Price best = 0;
    if (book.side(opposite(o->side)).best_price(best) && crosses(o->side, new_price, best)) {
      return reject(RejectReason::PostOnlyWouldCross);
    }
  }
  const Quantity more = new_remaining - o->remaining;
  if (o->side == Side::Sell && more > 0 &&
      !CapacityRegistry::commit(*who.capacity_line(book.info.region, book.info.chip_class), book.info.start,
                                book.info.end, more)) {
    return reject(RejectReason::CapacityExceeded);
  }
  if (o->side == Side::Sell && more < 0) {
    CapacityRegistry::release(*who.capacity_line(book.info.region, book.info.chip_class), book.info.start,
                              book.info.end, -more);
  }
  if (o->side == Side::Buy) who.open_buy += new_reserved - old_reserved;
  if (new_id) o->cl_ord_id = c.cl_ord_id;

  PriceLevel* lvl = o->level;
  const bool keep_priority = new_price == o->price && new_remaining <= o->remaining;
  if (keep_priority) {
    lvl->qty -= o->remaining - new_remaining;
    o->remaining = new_remaining;
    o->qty = new_qty;
    touch(book, o->side, lvl);
    emit_replaced(*o, true);
    flush();
    return;
  }
  // Losing priority: leave the level, then arrive again as if new (it may trade at the new price).
  detach_from_level(book, o);
  o->price = new_price;
  o->qty = new_qty;
  o->remaining = new_remaining;
  emit_replaced(*o, false);
  Stop stop = match(book, *o);
  if (o->remaining == 0) {
    forget(*o);
  } else if (stop == Stop::SelfTrade) {
    Quantity left = o->remaining;
    release_open(book, *o, left);
    emit_done(*o, left, DoneReason::SelfTrade);
    forget(*o);
  } else {
    rest(book, o, false);
  }
  flush();
}

void MatchingEngine::Impl::mass_cancel(const MassCancel& c) {
  begin(c.ts);
  auto reject = [&](RejectReason r) {
    emit_reject(CommandKind::MassCancel, c.participant, c.instrument, 0, {}, r);
    flush();
  };
  if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
  const bool is_operator = participants_[c.participant].info.roles & kRoleOperator;
  if (!is_operator && c.target != c.participant) return reject(RejectReason::RoleMissing);
  if (c.target != kNoParticipant && c.target >= participants_.size()) {
    return reject(RejectReason::UnknownParticipant);
  }
  if (c.instrument != kNoInstrument && c.instrument >= books_.size()) {
    return reject(RejectReason::UnknownInstrument);
  }
  uint64_t count = 0;
  if (c.target != kNoParticipant) {
    for (Order* o = participants_[c.target].orders; o;) {
      Order* next = o->owner_next;
      if (c.instrument == kNoInstrument || o->instrument == c.instrument) {
        remove_resting(*books_[o->instrument], o, DoneReason::MassCancelled);
        ++count;
      }
      o = next;
    }
  } else if (c.instrument != kNoInstrument) {
    count = clear_book(*books_[c.instrument], DoneReason::MassCancelled);
  } else {
    for (auto& book : books_) count += clear_book(*book, DoneReason::MassCancelled);
  }
  out_.on_mass_cancel(MassCancelDone{now_, c.participant, c.target, c.instrument, count});
  flush();
}

}  // namespace cpx
