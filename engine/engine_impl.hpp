#pragma once
// The matching engine's state and command handling (MatchingEngine::Impl). Internal to engine/: the
// public face is include/cpx/matching_engine.hpp; matching_engine.cpp forwards to this class and
// snapshot.cpp saves and restores its state.
#include "cpx/matching_engine.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "capacity_registry.hpp"
#include "cpx/bytes.hpp"
#include "object_pool.hpp"
#include "order_book.hpp"
#include "order_index.hpp"
#include "state_hasher.hpp"
#include "timer_queue.hpp"

namespace cpx {

using detail::BookSide;
using detail::CapacityRegistry;
using detail::Order;
using detail::OrderBook;
using detail::PriceLevel;
using detail::TimerKind;

namespace detail {

struct ParticipantState {
  Participant info;
  int64_t open_orders = 0;
  Order* orders = nullptr;  // head of the intrusive list of open orders
  Money credit_limit = 0;
  Money open_buy = 0;
  Money unsettled_bought = 0;
  // [region][class] -> this supplier's capacity line (nullptr: nothing registered there).
  std::vector<std::vector<CapacityRegistry::Steps*>> capacity_lines;

  CapacityRegistry::Steps* capacity_line(RegionId r, ChipClassId c) const {
    if (r >= capacity_lines.size() || c >= capacity_lines[r].size()) return nullptr;
    return capacity_lines[r][c];
  }
  void set_capacity_line(RegionId r, ChipClassId c, CapacityRegistry::Steps* line) {
    if (r >= capacity_lines.size()) capacity_lines.resize(r + 1);
    if (c >= capacity_lines[r].size()) capacity_lines[r].resize(c + 1, nullptr);
    capacity_lines[r][c] = line;
  }
};

// Why matching stopped before the order was filled (None: no more crossing liquidity).
enum class Stop : uint8_t { None, SelfTrade, PriceBand, Credit };

struct Touched {
  InstrumentId instrument;
  Side side;
  Price price;
  PriceLevel* level;  // nullptr once the level is gone
};

constexpr RegionId kNoRegion = UINT16_MAX;
constexpr ChipClassId kNoClass = UINT16_MAX;

inline bool crosses(Side aggressor, Price limit, Price resting) {
  return aggressor == Side::Buy ? resting <= limit : resting >= limit;
}

}  // namespace detail

using detail::ParticipantState;
using detail::Stop;
using detail::Touched;
using detail::kNoRegion;
using detail::kNoClass;
using detail::crosses;

class MatchingEngine::Impl {
 public:
  Impl(EventListener& listener, const EngineConfig& config)
      : out_(listener), index_(config.expected_orders) {
    orders_.reserve(config.expected_orders);
    levels_.reserve(std::max<size_t>(1024, config.expected_orders / 4));
    books_.reserve(config.expected_instruments);
    touched_.reserve(256);
    ParticipantState exchange;
    exchange.info.code = "EXCH";
    exchange.info.name = "CPX exchange";
    exchange.info.kind = ParticipantKind::Exchange;
    exchange.info.roles = kRoleOperator;
    participants_.push_back(std::move(exchange));
    participant_by_code_.emplace("EXCH", kExchangeParticipant);
  }

  ~Impl() {
    for (auto& book : books_) {
      for (Side s : {Side::Buy, Side::Sell}) {
        BookSide& side = book->side(s);
        while (PriceLevel* lvl = side.best()) {
          while (Order* o = lvl->head) {
            lvl->unlink(o);
            orders_.release(o);
          }
          side.erase(lvl->price, book->info.rules.tick);
          levels_.release(lvl);
        }
      }
    }
  }

  // ---------------------------------------------------------------- order entry

  void new_order(const NewOrder& c) {
    begin(c.ts);
    auto reject = [&](RejectReason r) {
      emit_reject(CommandKind::NewOrder, c.participant, c.instrument, 0, c.cl_ord_id.view(), r);
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
    Money notional = 0;
    if (!is_market) {
      if (c.price <= 0) return reject(RejectReason::InvalidPrice);
      if (c.price % rules.tick != 0) return reject(RejectReason::TickSize);
      if (outside_band(book, c.price)) return reject(RejectReason::PriceBand);
      auto n = checked_mul3(c.price, c.qty, book.info.hours);
      if (!n) return reject(RejectReason::NotionalOverflow);
      notional = *n;
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

    out_.on_accepted(OrderAccepted{now_, o->id, o->participant, o->instrument, o->cl_ord_id.view(), o->side,
                                   o->type, o->tif, o->post_only, o->price, o->qty, o->expire_at});

    if (c.tif == TimeInForce::FOK && !fok_fillable(book, *o)) {
      finish_unrested(book, *o, DoneReason::FokNotFilled);
    } else {
      Stop stop = match(book, *o);
      settle_aggressor(book, *o, stop);
    }
    flush();
  }

  void cancel(const CancelOrder& c) {
    begin(c.ts);
    Order* o = index_.find(c.order_id);
    auto reject = [&](RejectReason r) {
      emit_reject(CommandKind::CancelOrder, c.participant, o ? o->instrument : kNoInstrument, c.order_id,
                  c.cl_ord_id.view(), r);
      flush();
    };
    if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
    if (!o) return reject(RejectReason::UnknownOrder);
    if (o->participant != c.participant) return reject(RejectReason::NotOwner);
    remove_resting(*books_[o->instrument], o, DoneReason::Cancelled);
    flush();
  }

  void replace(const ReplaceOrder& c) {
    begin(c.ts);
    Order* o = index_.find(c.order_id);
    auto reject = [&](RejectReason r) {
      emit_reject(CommandKind::ReplaceOrder, c.participant, o ? o->instrument : kNoInstrument, c.order_id,
                  c.cl_ord_id.view(), r);
      flush();
    };
    if (c.participant >= participants_.size()) return reject(RejectReason::UnknownParticipant);
    if (!o) return reject(RejectReason::UnknownOrder);
    if (o->participant != c.participant) return reject(RejectReason::NotOwner);
    OrderBook& book = *books_[o->instrument];
    if (auto r = trading_state_reject(book)) return reject(*r);
    ParticipantState& who = participants_[o->participant];
    const InstrumentRules& rules = book.info.rules;
    const Price new_price = c.price != 0 ? c.price : o->price;
    const Quantity new_qty = c.qty != 0 ? c.qty : o->qty;
    const bool new_id = !c.cl_ord_id.empty() && !(c.cl_ord_id == o->cl_ord_id);
    if (new_price == o->price && new_qty == o->qty && !new_id) return reject(RejectReason::NothingToChange);
    if (new_price < 0) return reject(RejectReason::InvalidPrice);
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
    if (!checked_mul3(new_price, new_remaining, book.info.hours)) return reject(RejectReason::NotionalOverflow);
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

  void mass_cancel(const MassCancel& c) {
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

  // ---------------------------------------------------------------- admin

  bool admin_allowed(CommandKind kind, ParticipantId actor, InstrumentId instrument) {
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

  void admin_reject(CommandKind kind, ParticipantId actor, RejectReason r,
                    InstrumentId instrument = kNoInstrument) {
    emit_reject(kind, actor, instrument, 0, {}, r);
  }

  void add_region(const AddRegion& c) {
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

  void add_chip_class(const AddChipClass& c) {
    begin(c.ts);
    constexpr auto kind = CommandKind::AddChipClass;
    if (!admin_allowed(kind, c.actor, kNoInstrument)) return;
    const ChipClass& cc = c.chip_class;
    if (!valid_code(cc.code)) return admin_reject(kind, c.actor, RejectReason::InvalidCode);
    if (class_by_code_.count(cc.code) || classes_.size() >= kNoClass) {
      return admin_reject(kind, c.actor, RejectReason::DuplicateCode);
    }
    if (cc.scu_per_device <= 0 || cc.memory_gb < 0) return admin_reject(kind, c.actor, RejectReason::InvalidValue);
    class_by_code_.emplace(cc.code, static_cast<ChipClassId>(classes_.size()));
    classes_.push_back(cc);
    out_.on_admin(AdminDone{now_, kind, c.actor, classes_.back().code});
  }

  void add_participant(const AddParticipant& c) {
    begin(c.ts);
    constexpr auto kind = CommandKind::AddParticipant;
    if (!admin_allowed(kind, c.actor, kNoInstrument)) return;
    const Participant& p = c.participant;
    if (!valid_code(p.code)) return admin_reject(kind, c.actor, RejectReason::InvalidCode);
    if (participant_by_code_.count(p.code)) return admin_reject(kind, c.actor, RejectReason::DuplicateCode);
    if (p.limits.max_open_orders <= 0 || p.limits.max_order_qty <= 0) {
      return admin_reject(kind, c.actor, RejectReason::InvalidValue);
    }
    ParticipantState s;
    s.info = p;
    participant_by_code_.emplace(p.code, static_cast<ParticipantId>(participants_.size()));
    participants_.push_back(std::move(s));
    out_.on_admin(AdminDone{now_, kind, c.actor, participants_.back().info.code});
  }

  void list_instrument(const ListInstrument& c) {
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
    if (r.tick <= 0 || r.lot <= 0 || r.max_order_qty <= 0 || r.price_band_bps < 0 || r.gate_closure_ns < 0) {
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

  void set_instrument_state(const SetInstrumentState& c) {
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

  void register_capacity(const RegisterCapacity& c) {
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
    if (c.devices == 0) return admin_reject(kind, c.actor, RejectReason::InvalidValue);
    CapacityRegistry::Key key{c.supplier, region->second, cls->second};
    if (!capacity_.add_registered(key, c.from, c.to, c.devices)) {
      return admin_reject(kind, c.actor, RejectReason::CapacityInUse);
    }
    ParticipantState& supplier = participants_[c.supplier];
    if (!supplier.capacity_line(key.region, key.chip_class)) {
      supplier.set_capacity_line(key.region, key.chip_class, capacity_.line_for(key));
    }
    out_.on_admin(AdminDone{now_, kind, c.actor, participants_[c.supplier].info.code});
  }

  void set_credit(const SetCredit& c) {
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

  void set_reference_price(const SetReferencePrice& c) {
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

  void set_fees(const SetFees& c) {
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
    out_.on_admin(AdminDone{now_, kind, c.actor, "fees"});
  }

  void adjust_credit(ParticipantId p, Money limit_delta, Money unsettled_delta) {
    ParticipantState& s = participants_.at(p);
    s.credit_limit += limit_delta;
    s.unsettled_bought += unsettled_delta;
  }

  void advance_time(const AdvanceTime& c) { begin(c.ts); }

  // ---------------------------------------------------------------- views

  Timestamp now() const { return now_; }

  InstrumentId find_instrument(std::string_view symbol) const {
    auto it = book_by_symbol_.find(std::string(symbol));
    return it == book_by_symbol_.end() ? kNoInstrument : it->second;
  }
  ParticipantId find_participant(std::string_view code) const {
    auto it = participant_by_code_.find(std::string(code));
    return it == participant_by_code_.end() ? kNoParticipant : it->second;
  }
  RegionId find_region(std::string_view code) const {
    auto it = region_by_code_.find(std::string(code));
    return it == region_by_code_.end() ? kNoRegion : it->second;
  }
  ChipClassId find_chip_class(std::string_view code) const {
    auto it = class_by_code_.find(std::string(code));
    return it == class_by_code_.end() ? kNoClass : it->second;
  }
  const OrderBook* book(InstrumentId id) const { return id < books_.size() ? books_[id].get() : nullptr; }
  const ParticipantState* participant(ParticipantId id) const {
    return id < participants_.size() ? &participants_[id] : nullptr;
  }
  const Region* region(RegionId id) const { return id < regions_.size() ? &regions_[id] : nullptr; }
  const ChipClass* chip_class(ChipClassId id) const { return id < classes_.size() ? &classes_[id] : nullptr; }
  size_t instrument_count() const { return books_.size(); }
  size_t participant_count() const { return participants_.size(); }
  size_t open_order_count() const { return index_.size(); }

  bool find_order(OrderId id, OrderView& out) const {
    const Order* o = index_.find(id);
    if (!o) return false;
    out = view(*o);
    return true;
  }

  static OrderView view(const Order& o) {
    return OrderView{o.id, o.participant, o.instrument, o.cl_ord_id.view(), o.side, o.tif, o.price,
                     o.qty, o.remaining, o.filled(), o.expire_at};
  }

  Quantity capacity_headroom(ParticipantId supplier, RegionId region, ChipClassId cls, Timestamp from,
                             Timestamp to) const {
    return capacity_.headroom({supplier, region, cls}, from, to);
  }

  // A hash of the snapshot bytes: it covers everything a snapshot carries, and a restored engine (whose
  // snapshot is byte-identical) hashes the same.
  uint64_t state_hash() const {
    std::string bytes;
    ByteWriter w(bytes);
    save(w);
    detail::StateHasher h;
    h.add(std::string_view(bytes));
    return h.value();
  }

  // Snapshots (snapshot.cpp): the whole state as bytes, and back into a freshly constructed engine.
  void save(ByteWriter& w) const;
  Result<bool> load(ByteReader& r);

 private:
  // ---------------------------------------------------------------- time

  // Moves time to `ts` (never backwards), firing everything that falls due on the way.
  void begin(Timestamp ts) {
    while (timers_.due(ts)) {
      detail::Timer t = timers_.pop();
      if (t.at > now_) now_ = t.at;
      fire(t);
      flush();
    }
    if (ts > now_) now_ = ts;
  }

  void fire(const detail::Timer& t) {
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
    }
  }

  void set_state(OrderBook& b, InstrumentState s) {
    b.state = s;
    out_.on_instrument_state(InstrumentStateChanged{now_, b.info.id, s});
  }

  // ---------------------------------------------------------------- risk helpers

  static std::optional<RejectReason> trading_state_reject(const OrderBook& b) {
    switch (b.state) {
      case InstrumentState::Open: return std::nullopt;
      case InstrumentState::Listed: return RejectReason::InstrumentNotOpen;
      case InstrumentState::Halted: return RejectReason::InstrumentHalted;
      case InstrumentState::Closed:
      case InstrumentState::Expired: return RejectReason::InstrumentClosed;
    }
    return RejectReason::InstrumentClosed;
  }

  // Band: |price - ref| / ref > band. Integer form: |price - ref| * 10000 > ref * band_bps.
  static bool outside_band(const OrderBook& b, Price price) { return outside_band(b, b.reference_price, price); }
  static bool outside_band(const OrderBook& b, Price ref, Price price) {
    if (ref <= 0 || b.info.rules.price_band_bps <= 0) return false;
    __int128 diff = price > ref ? price - ref : ref - price;
    return diff * 10'000 > static_cast<__int128>(ref) * b.info.rules.price_band_bps;
  }

  static bool credit_allows(const ParticipantState& p, Money more) {
    return static_cast<__int128>(p.open_buy) + p.unsettled_bought + more <= p.credit_limit;
  }

  // Exchange fee on a notional: basis points, rounded half up.
  static Money fee_of(Money notional, int64_t bps) {
    return static_cast<Money>((static_cast<__int128>(notional) * bps + 5'000) / 10'000);
  }

  // Credit held by `qty` open devices of a limit buy at `price`: the notional plus the larger of the two
  // fees rounded up, plus one unit (0.0001 CNY) per device when fees are charged. The per-device unit
  // absorbs rounding, so every fill's actual cost (notional at the trade price + fee rounded half up) is
  // covered by what the fill releases: reserve(R) - reserve(R - q). Exact, and recomputable from the book.
  Money reserve(const OrderBook& b, Price price, Quantity qty) const {
    const Money notional = price * qty * b.info.hours;
    const int64_t bps = std::max(maker_fee_bps_, taker_fee_bps_);
    if (bps == 0) return notional;
    return notional + static_cast<Money>((static_cast<__int128>(notional) * bps + 9'999) / 10'000) + qty;
  }

  // What a buyer pays for a fill: notional at the trade price plus its fee.
  Money buyer_cost(Price price, Quantity q, int64_t hours, bool buyer_is_taker) const {
    const Money notional = price * q * hours;
    return notional + fee_of(notional, buyer_is_taker ? taker_fee_bps_ : maker_fee_bps_);
  }

  // The largest q <= want whose cost fits in `room` (a market buy spends what is left, fee included).
  Quantity affordable(Price price, Quantity want, int64_t hours, __int128 room) const {
    if (room <= 0) return 0;
    if (buyer_cost(price, want, hours, true) <= room) return want;
    const __int128 per_device = static_cast<__int128>(price) * hours * (10'000 + taker_fee_bps_);
    Quantity q = static_cast<Quantity>(std::min<__int128>(want, room * 10'000 / per_device));
    while (q > 0 && buyer_cost(price, q, hours, true) > room) --q;
    while (q < want && buyer_cost(price, q + 1, hours, true) <= room) ++q;
    return q;
  }


  // ---------------------------------------------------------------- matching

  // Could a FOK order trade its whole quantity now? Walks the book exactly as match() would, without
  // changing anything, so a killed FOK leaves no trace.
  bool fok_fillable(const OrderBook& book, const Order& o) const {
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

  Stop match(OrderBook& book, Order& o) {
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

  void execute(OrderBook& book, Order& aggressor, Order* resting, Price price, Quantity q) {
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
    buyer.unsettled_bought += notional + buyer_fee;
    book.reference_price = price;
    const int64_t per_scu = *mul_div_round(price, kScuPriceScale / kScale, book.info.scu_per_device);
    out_.on_trade(Trade{now_, next_trade_id_++, book.info.id, price, q, buy.id, sell.id, buy.participant,
                        sell.participant, buy.cl_ord_id.view(), sell.cl_ord_id.view(), aggressor.side,
                        buy.remaining, sell.remaining, hours, q * book.info.scu_per_device, per_scu, notional,
                        buyer_fee, seller_fee, book.info.start, book.info.end});
    if (resting->remaining == 0) {
      detach_from_level(book, resting);
      forget(*resting);
    }
  }

  // Self-trade prevention "decrement": both shrink by the smaller open quantity, no trade.
  void decrement(OrderBook& book, Order& o, Order* r) {
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

  // After matching a new order: rest it, or end it with the reason matching stopped.
  void settle_aggressor(OrderBook& book, Order& o, Stop stop) {
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

  // Ends an order that never rested (or was taken out of the book): releases its open quantity.
  void finish_unrested(OrderBook& book, Order& o, DoneReason why) {
    const Quantity left = o.remaining;
    release_open(book, o, left);
    emit_done(o, left, why);
    orders_.release(&o);
  }

  // Returns credit or capacity held by `qty` of the open devices of `o` (call before o.remaining shrinks).
  void release_open(OrderBook& book, const Order& o, Quantity qty) {
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

  // Puts an order at the back of its price level. A new order also joins the id index, its owner's list
  // and (for DAY/GTD) the expiry timers; a replaced order is already in all three.
  void rest(OrderBook& book, Order* o, bool is_new) {
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
      if (o->expire_at != 0) timers_.push(o->expire_at, TimerKind::OrderExpiry, o->id);
    }
  }

  void detach_from_level(OrderBook& book, Order* o) {
    PriceLevel* lvl = o->level;
    lvl->unlink(o);
    touch(book, o->side, lvl);
    if (lvl->count == 0) {
      book.side(o->side).erase(lvl->price, book.info.rules.tick);
      // The touched entry must not keep a pointer to a freed level: it now reports (0, 0).
      for (Touched& t : touched_) {
        if (t.level == lvl) t.level = nullptr;
      }
      levels_.release(lvl);
    }
  }

  // Drops an order that left the book from the index and its owner's list, and frees it.
  void forget(Order& o) {
    index_.erase(o.id);
    ParticipantState& p = participants_[o.participant];
    if (o.owner_prev) o.owner_prev->owner_next = o.owner_next; else p.orders = o.owner_next;
    if (o.owner_next) o.owner_next->owner_prev = o.owner_prev;
    --p.open_orders;
    orders_.release(&o);
  }

  // Takes a resting order out of the book for good and reports why.
  void remove_resting(OrderBook& book, Order* o, DoneReason why) {
    const Quantity left = o->remaining;
    detach_from_level(book, o);
    release_open(book, *o, left);
    emit_done(*o, left, why);
    forget(*o);
  }

  uint64_t clear_book(OrderBook& book, DoneReason why) {
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

  // ---------------------------------------------------------------- events

  // Remembers a level the command changed; `lvl` is the live level at that price.
  void touch(const OrderBook& book, Side side, PriceLevel* lvl) {
    for (Touched& t : touched_) {
      if (t.price == lvl->price && t.side == side && t.instrument == book.info.id) {
        t.level = lvl;
        return;
      }
    }
    touched_.push_back(Touched{book.info.id, side, lvl->price, lvl});
  }

  // One book change per touched level per command, in the order the levels were first touched.
  void flush() {
    for (const Touched& t : touched_) {
      const PriceLevel* lvl = t.level;
      out_.on_book_change(BookChange{now_, t.instrument, t.side, t.price, lvl ? lvl->qty : 0,
                                     lvl ? lvl->count : 0});
    }
    touched_.clear();
  }

  void emit_reject(CommandKind kind, ParticipantId p, InstrumentId i, OrderId id, std::string_view cl,
                   RejectReason r) {
    out_.on_rejected(OrderRejected{now_, kind, p, i, id, cl, r});
  }

  void emit_done(const Order& o, Quantity cancelled, DoneReason why) {
    out_.on_done(OrderDone{now_, o.id, o.participant, o.instrument, o.cl_ord_id.view(), o.side, o.price,
                           cancelled, o.filled(), why});
  }

  void emit_replaced(const Order& o, bool kept) {
    out_.on_replaced(OrderReplaced{now_, o.id, o.participant, o.instrument, o.cl_ord_id.view(), o.side,
                                   o.price, o.qty, o.remaining, kept});
  }

  EventListener& out_;
  Timestamp now_ = 0;
  OrderId next_order_id_ = 1;
  TradeId next_trade_id_ = 1;
  int64_t maker_fee_bps_ = 0;
  int64_t taker_fee_bps_ = 0;
  std::vector<Region> regions_;
  std::unordered_map<std::string, RegionId> region_by_code_;
  std::vector<ChipClass> classes_;
  std::unordered_map<std::string, ChipClassId> class_by_code_;
  std::vector<ParticipantState> participants_;
  std::unordered_map<std::string, ParticipantId> participant_by_code_;
  std::vector<std::unique_ptr<OrderBook>> books_;
  std::unordered_map<std::string, InstrumentId> book_by_symbol_;
  detail::ObjectPool<Order> orders_;
  detail::ObjectPool<PriceLevel> levels_;
  detail::OrderIndex<Order> index_;
  CapacityRegistry capacity_;
  detail::TimerQueue timers_;
  std::vector<Touched> touched_;
};

}  // namespace cpx
