// Admin commands (reference data, listings, capacity, credit, fees) and the passing of time
// (instrument lifecycle, order expiry).
#include "engine_impl.hpp"

namespace cpx {

bool MatchingEngine::Impl::admin_allowed(CommandKind kind, ParticipantId actor, InstrumentId instrument) {
  if (actor >= participants_.size()) {
    emit_reject(kind, actor, instrument, 0, {}, RejectReason::UnknownParticipant);
    return false;
  }
  if (!(participants_[actor].info.roles & kRoleOperator)) {
    emit_reject(kind, actor, instrument, 0, {}, RejectReason::RoleMissing);
    return false;
  }
  return true;
}

void MatchingEngine::Impl::add_region(const AddRegion& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::AddRegion;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return flush();
  const Region& r = c.region;
  if (!valid_code(r.code)) return admin_reject(kind, c.actor, RejectReason::InvalidCode);
  if (region_by_code_.count(r.code) || regions_.size() >= kNoRegion) {
    return admin_reject(kind, c.actor, RejectReason::DuplicateCode);
  }
  if (r.green_share < 0 || r.green_share > kScale || r.power_price < 0 || r.pue < 0) {
    return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  }
  region_by_code_.emplace(r.code, static_cast<RegionId>(regions_.size()));
  regions_.push_back(r);
  out_.on_admin(AdminDone{now_, kind, c.actor, regions_.back().code});
}

void MatchingEngine::Impl::add_link(const AddLink& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::AddLink;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return;
  const auto from = region_by_code_.find(c.from);
  const auto to = region_by_code_.find(c.to);
  if (from == region_by_code_.end() || to == region_by_code_.end()) return admin_reject(kind, c.actor, RejectReason::UnknownRegion);
  const ParticipantState* carrier = c.carrier < participants_.size() ? &participants_[c.carrier] : nullptr;
  if (!carrier) return admin_reject(kind, c.actor, RejectReason::UnknownParticipant);
  if ((carrier->info.roles & kRoleCarrier) == 0) return admin_reject(kind, c.actor, RejectReason::RoleMissing);
  if (from->second == to->second || c.latency_ms <= 0 || c.latency_ms > 10'000 || c.capacity_gbps <= 0 ||
      c.capacity_gbps > 1'000'000 || c.tariff_per_gb < 0 || c.tariff_per_gb > kMaxTariffPerGb) {
    return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  }
  for (const NetworkLink& l : links_)
    if (l.from == from->second && l.to == to->second) return admin_reject(kind, c.actor, RejectReason::DuplicateCode);
  links_.push_back(NetworkLink{from->second, to->second, c.latency_ms, c.capacity_gbps, c.tariff_per_gb, c.carrier});
  scratch_subject_ = c.from + ">" + c.to;
  out_.on_admin(AdminDone{now_, kind, c.actor, scratch_subject_});
}

void MatchingEngine::Impl::add_chip_class(const AddChipClass& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::AddChipClass;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return;
  const ChipClass& cc = c.chip_class;
  if (!valid_code(cc.code)) return admin_reject(kind, c.actor, RejectReason::InvalidCode);
  if (class_by_code_.count(cc.code) || classes_.size() >= kNoClass) {
    return admin_reject(kind, c.actor, RejectReason::DuplicateCode);
  }
  if (cc.scu_per_device <= 0 || cc.scu_per_device > kMaxScuPerDevice || cc.memory_gb < 0) {
    return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  }
  class_by_code_.emplace(cc.code, static_cast<ChipClassId>(classes_.size()));
  classes_.push_back(cc);
  out_.on_admin(AdminDone{now_, kind, c.actor, classes_.back().code});
}

void MatchingEngine::Impl::add_participant(const AddParticipant& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::AddParticipant;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return;
  const Participant& p = c.participant;
  if (!valid_code(p.code)) return admin_reject(kind, c.actor, RejectReason::InvalidCode);
  if (participant_by_code_.count(p.code)) return admin_reject(kind, c.actor, RejectReason::DuplicateCode);
  if (p.limits.max_open_orders <= 0 || p.limits.max_order_qty <= 0 || p.limits.max_order_qty > kMaxDevices) {
    return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  }
  ParticipantState s;
  s.info = p;
  participant_by_code_.emplace(p.code, static_cast<ParticipantId>(participants_.size()));
  participants_.push_back(std::move(s));
  out_.on_admin(AdminDone{now_, kind, c.actor, participants_.back().info.code});
}

void MatchingEngine::Impl::list_instrument(const ListInstrument& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::ListInstrument;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return flush();
  auto parts = parse_symbol(c.symbol);
  if (!parts) return admin_reject(kind, c.actor, RejectReason::BadSymbol);
  auto region = region_by_code_.find(parts->region);
  if (region == region_by_code_.end()) return admin_reject(kind, c.actor, RejectReason::UnknownRegion);
  auto cls = class_by_code_.find(parts->chip_class);
  if (cls == class_by_code_.end()) return admin_reject(kind, c.actor, RejectReason::UnknownChipClass);
  if (book_by_symbol_.count(c.symbol)) return admin_reject(kind, c.actor, RejectReason::DuplicateCode);
  const InstrumentRules& r = c.rules;
  if (r.tick <= 0 || r.tick > kMaxPrice || r.lot <= 0 || r.max_order_qty <= 0 || r.max_order_qty > kMaxDevices ||
      r.price_band_bps < 0 || r.gate_closure_ns < 0) {
    return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  }
  InstrumentInfo info;
  info.id = static_cast<InstrumentId>(books_.size());
  info.symbol = c.symbol;
  info.region = region->second;
  info.chip_class = cls->second;
  info.tenor = parts->tenor;
  info.start = parts->start;
  info.end = parts->end;
  info.hours = (parts->end - parts->start) / kNanosPerHour;
  info.scu_per_device = classes_[cls->second].scu_per_device;
  info.open_at = c.open_at;
  info.rules = r;
  if (info.gate_closure() <= now_) return admin_reject(kind, c.actor, RejectReason::ListingTooLate);
  if (c.open_at >= info.gate_closure()) return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  auto book = std::make_unique<OrderBook>(std::move(info));
  OrderBook& b = *book;
  book_by_symbol_.emplace(b.info.symbol, b.info.id);
  books_.push_back(std::move(book));
  out_.on_admin(AdminDone{now_, kind, c.actor, b.info.symbol});
  if (c.open_at > now_) {
    timers_.push(c.open_at, TimerKind::InstrumentOpen, b.info.id);
  } else {
    set_state(b, InstrumentState::Open);
  }
  timers_.push(b.info.gate_closure(), TimerKind::GateClosure, b.info.id);
  timers_.push(b.info.end, TimerKind::WindowEnd, b.info.id);
}

void MatchingEngine::Impl::set_instrument_state(const SetInstrumentState& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::SetInstrumentState;
  if (!admin_allowed(kind, c.actor, c.instrument)) return;
  if (c.instrument >= books_.size()) return admin_reject(kind, c.actor, RejectReason::UnknownInstrument);
  OrderBook& b = *books_[c.instrument];
  InstrumentState from = c.action == StateAction::Halt ? InstrumentState::Open : InstrumentState::Halted;
  if (b.state != from) return admin_reject(kind, c.actor, RejectReason::InvalidStateChange, c.instrument);
  out_.on_admin(AdminDone{now_, kind, c.actor, b.info.symbol});
  set_state(b, c.action == StateAction::Halt ? InstrumentState::Halted : InstrumentState::Open);
}

void MatchingEngine::Impl::register_capacity(const RegisterCapacity& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::RegisterCapacity;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return;
  if (c.supplier >= participants_.size()) return admin_reject(kind, c.actor, RejectReason::UnknownParticipant);
  if (!(participants_[c.supplier].info.roles & kRoleTradeSell)) {
    return admin_reject(kind, c.actor, RejectReason::RoleMissing);
  }
  auto region = region_by_code_.find(c.region);
  if (region == region_by_code_.end()) return admin_reject(kind, c.actor, RejectReason::UnknownRegion);
  auto cls = class_by_code_.find(c.chip_class);
  if (cls == class_by_code_.end()) return admin_reject(kind, c.actor, RejectReason::UnknownChipClass);
  if (c.to <= c.from) return admin_reject(kind, c.actor, RejectReason::InvalidWindow);
  // Bounded so sums of registrations and SCU products stay far inside int64.
  if (c.devices == 0 || c.devices > kMaxDevices || c.devices < -kMaxDevices) {
    return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  }
  CapacityRegistry::Key key{c.supplier, region->second, cls->second};
  if (!capacity_.add_registered(key, c.from, c.to, c.devices)) {
    return admin_reject(kind, c.actor, RejectReason::CapacityInUse);
  }
  ParticipantState& supplier = participants_[c.supplier];
  if (!supplier.capacity_line(key.region, key.chip_class)) {
    supplier.set_capacity_line(key.region, key.chip_class, capacity_.line_for(key));
  }
  registrations_.push_back(Registration{key.region, key.chip_class, c.from, c.to, c.devices});
  out_.on_admin(AdminDone{now_, kind, c.actor, participants_[c.supplier].info.code});
}

void MatchingEngine::Impl::set_credit(const SetCredit& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::SetCredit;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return;
  if (c.participant >= participants_.size()) {
    return admin_reject(kind, c.actor, RejectReason::UnknownParticipant);
  }
  if (c.limit < 0) return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  participants_[c.participant].credit_limit = c.limit;
  out_.on_admin(AdminDone{now_, kind, c.actor, participants_[c.participant].info.code});
}

void MatchingEngine::Impl::set_reference_price(const SetReferencePrice& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::SetReferencePrice;
  if (!admin_allowed(kind, c.actor, c.instrument)) return;
  if (c.instrument >= books_.size()) return admin_reject(kind, c.actor, RejectReason::UnknownInstrument);
  OrderBook& b = *books_[c.instrument];
  if (c.price <= 0) return admin_reject(kind, c.actor, RejectReason::InvalidPrice, c.instrument);
  if (c.price % b.info.rules.tick != 0) return admin_reject(kind, c.actor, RejectReason::TickSize, c.instrument);
  b.reference_price = c.price;
  out_.on_admin(AdminDone{now_, kind, c.actor, b.info.symbol});
}

void MatchingEngine::Impl::set_fees(const SetFees& c) {
  begin(c.ts);
  constexpr auto kind = CommandKind::SetFees;
  if (!admin_allowed(kind, c.actor, kNoInstrument)) return;
  if (c.maker_bps < 0 || c.taker_bps < 0 || c.maker_bps > 1'000 || c.taker_bps > 1'000) {
    return admin_reject(kind, c.actor, RejectReason::InvalidValue);
  }
  maker_fee_bps_ = c.maker_bps;
  taker_fee_bps_ = c.taker_bps;
  // Open buy reservations depend on the fee: recompute them all under the new rates.
  for (ParticipantState& p : participants_) p.open_buy = 0;
  for (const auto& book : books_) {
    const BookSide& bids = book->bids;
    for (size_t i = 0; i < bids.level_count(); ++i) {
      for (const Order* o = bids.from_best(i)->head; o; o = o->next) {
        participants_[o->participant].open_buy += reserve(*book, o->price, o->remaining);
      }
    }
  }
  hold_auction_reserves();  // open auction bids keep the reserve they were accepted with
  out_.on_admin(AdminDone{now_, kind, c.actor, "fees"});
  // A higher fee can leave a buyer's cash short of what its open buys now hold: its newest buys go until
  // the rest fit, so every later fill stays covered by cash.
  for (ParticipantState& p : participants_) {
    for (Order* o = p.orders; o && !credit_allows(p, 0);) {
      Order* next = o->owner_next;
      if (o->side == Side::Buy) remove_resting(*books_[o->instrument], o, DoneReason::FeeChange);
      o = next;
    }
  }
  flush();
}

void MatchingEngine::Impl::begin(Timestamp ts) {
  // Expiry timers of orders that ended early stay in the heap until due; when they outnumber the live
  // ones, drop them so the heap (and every snapshot) stays proportional to the open orders.
  if (timers_.size() > 2 * (static_cast<size_t>(live_expiring_) + 3 * books_.size()) + 1024) {
    timers_.compact([this](const detail::Timer& t) {
      if (t.kind != TimerKind::OrderExpiry) return false;
      const Order* o = index_.find(t.id);
      return !o || o->expire_at != t.at;
    });
  }
  while (timers_.due(ts)) {
    detail::Timer t = timers_.pop();
    if (t.at > now_) now_ = t.at;
    fire(t);
    flush();
  }
  if (ts > now_) now_ = ts;
}

void MatchingEngine::Impl::fire(const detail::Timer& t) {
  switch (t.kind) {
    case TimerKind::OrderExpiry: {
      Order* o = index_.find(t.id);
      if (o && o->expire_at == t.at) {
        remove_resting(*books_[o->instrument], o,
                       o->tif == TimeInForce::DAY ? DoneReason::ExpiredDay : DoneReason::ExpiredGtd);
      }
      break;
    }
    case TimerKind::InstrumentOpen: {
      OrderBook& b = *books_[t.id];
      if (b.state == InstrumentState::Listed) set_state(b, InstrumentState::Open);
      break;
    }
    case TimerKind::GateClosure: {
      OrderBook& b = *books_[t.id];
      clear_book(b, DoneReason::GateClosure);
      set_state(b, InstrumentState::Closed);
      break;
    }
    case TimerKind::WindowEnd:
      set_state(*books_[t.id], InstrumentState::Expired);
      break;
    case TimerKind::AuctionGate:
      if (auto it = auctions_.find(static_cast<Timestamp>(t.id)); it != auctions_.end()) close_auction(it->second);
      break;
  }
}

void MatchingEngine::Impl::set_state(OrderBook& b, InstrumentState s) {
  b.state = s;
  out_.on_instrument_state(InstrumentStateChanged{now_, b.info.id, s});
}

}  // namespace cpx
