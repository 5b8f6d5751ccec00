#pragma once
// A deliberately simple model of the matching core for differential testing: orders in plain vectors,
// priority by sorting, credit, capacity and open-order counts recomputed from scratch on every check.
// It emits the engine's own event structs so both streams can be compared field by field. Slow by design;
// clarity is the point.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cpx/commands.hpp"
#include "cpx/events.hpp"

namespace cpx::test {

class ReferenceExchange {
 public:
  explicit ReferenceExchange(EventListener& out) : out_(out) {
    participants_.push_back({"EXCH", kRoleOperator, 0, 1'000'000, 1'000'000});
  }

  // Reference data is set directly (the random streams do not vary it).
  void add_participant(const std::string& code, RoleSet roles, int64_t max_open, Quantity max_qty) {
    participants_.push_back({code, roles, 0, max_open, max_qty});
  }

  void apply(const Command& c) {
    std::visit([this](const auto& x) { handle(x); }, c);
  }

  struct ROrder {
    OrderId id;
    ParticipantId participant;
    InstrumentId instrument;
    Side side;
    OrderType type;
    TimeInForce tif;
    SelfTradePrevention stp;
    bool post_only;
    Price price;
    Quantity qty, remaining, filled;
    Timestamp expire_at;
    std::string cl;
    uint64_t priority;  // smaller = earlier
  };

  struct RBook {
    std::string symbol;
    std::string region, chip_class;
    Timestamp start, end, open_at;
    int64_t hours, scu;
    InstrumentRules rules;
    InstrumentState state = InstrumentState::Listed;
    Price ref = 0;
  };

  // Open orders of one side, best first.
  std::vector<ROrder> side_orders(InstrumentId inst, Side side) const {
    std::vector<ROrder> v;
    for (const ROrder& o : resting_) {
      if (o.instrument == inst && o.side == side) v.push_back(o);
    }
    std::sort(v.begin(), v.end(), [](const ROrder& a, const ROrder& b) {
      if (a.price != b.price) return a.side == Side::Buy ? a.price > b.price : a.price < b.price;
      return a.priority < b.priority;
    });
    return v;
  }

  // Credit held by an open limit buy (same rule as the engine, written out plainly).
  Money reserve(const RBook& b, Price price, Quantity qty) const {
    Money n = price * qty * b.hours;
    int64_t bps = std::max(maker_bps_, taker_bps_);
    if (bps == 0) return n;
    __int128 fee_up = (static_cast<__int128>(n) * bps + 9999) / 10000;
    return n + static_cast<Money>(fee_up) + qty;
  }
  Money fee(Money notional, int64_t bps) const {
    return static_cast<Money>((static_cast<__int128>(notional) * bps + 5000) / 10000);
  }
  Money open_buy(ParticipantId p) const {
    Money m = 0;
    for (const ROrder& o : resting_) {
      if (o.participant == p && o.side == Side::Buy) m += reserve(books_[o.instrument], o.price, o.remaining);
    }
    return m;
  }
  Money unsettled(ParticipantId p) const {
    auto it = bought_.find(p);
    return it == bought_.end() ? 0 : it->second;
  }
  Money credit_limit(ParticipantId p) const {
    auto it = credit_.find(p);
    return it == credit_.end() ? 0 : it->second;
  }

  // Registered minus committed devices at instant t for a supplier's region x class.
  Quantity free_at(ParticipantId p, const std::string& region, const std::string& cls, Timestamp t) const {
    Quantity reg = 0;
    for (const auto& r : registrations_) {
      if (r.supplier == p && r.region == region && r.cls == cls && r.from <= t && t < r.to) reg += r.devices;
    }
    Quantity used = 0;
    for (const ROrder& o : resting_) {
      const RBook& b = books_[o.instrument];
      if (o.participant == p && o.side == Side::Sell && b.region == region && b.chip_class == cls &&
          b.start <= t && t < b.end) {
        used += o.remaining;
      }
    }
    for (const auto& [key, q] : sold_) {
      const RBook& b = books_[key.second];
      if (key.first == p && b.region == region && b.chip_class == cls && b.start <= t && t < b.end) used += q;
    }
    return reg - used;
  }

  Quantity headroom(ParticipantId p, const std::string& region, const std::string& cls, Timestamp from,
                    Timestamp to) const {
    std::vector<Timestamp> points{from};
    for (const auto& r : registrations_) {
      for (Timestamp t : {r.from, r.to}) if (t > from && t < to) points.push_back(t);
    }
    for (const RBook& b : books_) {
      for (Timestamp t : {b.start, b.end}) if (t > from && t < to) points.push_back(t);
    }
    Quantity least = INT64_MAX;
    for (Timestamp t : points) least = std::min(least, free_at(p, region, cls, t));
    return least;
  }

  const std::vector<RBook>& books() const { return books_; }
  void list(const std::string& symbol, const std::string& region, const std::string& cls, Timestamp start,
            Timestamp end, int64_t scu) {
    RBook b;
    b.symbol = symbol;
    b.region = region;
    b.chip_class = cls;
    b.start = start;
    b.end = end;
    b.hours = (end - start) / kNanosPerHour;
    b.scu = scu;
    pending_listing_ = b;
  }

 private:
  struct RParticipant {
    std::string code;
    RoleSet roles;
    int64_t unused;
    int64_t max_open;
    Quantity max_qty;
  };
  struct Registration {
    ParticipantId supplier;
    std::string region, cls;
    Timestamp from, to;
    Quantity devices;
  };
  struct RTimer {
    Timestamp at;
    uint64_t seq;
    int kind;  // 0 order expiry, 1 open, 2 gate closure, 3 window end
    uint64_t id;
  };
  struct Touch {
    InstrumentId inst;
    Side side;
    Price price;
  };
  enum class Stop { None, SelfTrade, PriceBand, Credit };

  // ------------------------------------------------------------ time
  void begin(Timestamp ts) {
    for (;;) {
      auto it = std::min_element(timers_.begin(), timers_.end(), [](const RTimer& a, const RTimer& b) {
        return a.at != b.at ? a.at < b.at : a.seq < b.seq;
      });
      if (it == timers_.end() || it->at > ts) break;
      RTimer t = *it;
      timers_.erase(it);
      now_ = std::max(now_, t.at);
      if (t.kind == 0) {
        ROrder* o = find(t.id);
        if (o && o->expire_at == t.at) {
          remove(*o, o->tif == TimeInForce::DAY ? DoneReason::ExpiredDay : DoneReason::ExpiredGtd);
        }
      } else if (t.kind == 1) {
        if (books_[t.id].state == InstrumentState::Listed) set_state(t.id, InstrumentState::Open);
      } else if (t.kind == 2) {
        for (Side s : {Side::Buy, Side::Sell}) {
          for (const ROrder& o : side_orders(static_cast<InstrumentId>(t.id), s)) remove(*find(o.id), DoneReason::GateClosure);
        }
        set_state(t.id, InstrumentState::Closed);
      } else {
        set_state(t.id, InstrumentState::Expired);
      }
      flush();
    }
    now_ = std::max(now_, ts);
  }

  void set_state(uint64_t id, InstrumentState s) {
    books_[id].state = s;
    out_.on_instrument_state(InstrumentStateChanged{now_, static_cast<InstrumentId>(id), s});
  }

  void timer(Timestamp at, int kind, uint64_t id) { timers_.push_back({at, timer_seq_++, kind, id}); }

  // ------------------------------------------------------------ helpers
  ROrder* find(OrderId id) {
    for (ROrder& o : resting_) if (o.id == id) return &o;
    return nullptr;
  }
  int64_t open_count(ParticipantId p) const {
    return std::count_if(resting_.begin(), resting_.end(), [&](const ROrder& o) { return o.participant == p; });
  }
  bool outside_band(const RBook& b, Price price) const {
    if (b.ref <= 0 || b.rules.price_band_bps <= 0) return false;
    __int128 diff = price > b.ref ? price - b.ref : b.ref - price;
    return diff * 10000 > static_cast<__int128>(b.ref) * b.rules.price_band_bps;
  }
  static bool crosses(Side s, Price limit, Price resting) { return s == Side::Buy ? resting <= limit : resting >= limit; }

  void touch(InstrumentId inst, Side side, Price price) {
    for (const Touch& t : touched_) if (t.inst == inst && t.side == side && t.price == price) return;
    touched_.push_back({inst, side, price});
  }
  void flush() {
    for (const Touch& t : touched_) {
      Quantity q = 0;
      uint32_t n = 0;
      for (const ROrder& o : resting_) {
        if (o.instrument == t.inst && o.side == t.side && o.price == t.price) {
          q += o.remaining;
          ++n;
        }
      }
      out_.on_book_change(BookChange{now_, t.inst, t.side, t.price, q, n});
    }
    touched_.clear();
  }
  void reject(CommandKind k, ParticipantId p, InstrumentId i, OrderId id, const std::string& cl, RejectReason r,
              Side side = Side::Buy) {
    out_.on_rejected(OrderRejected{now_, k, p, i, id, cl, r, side});
    flush();
  }
  void done(const ROrder& o, Quantity cancelled, DoneReason why) {
    out_.on_done(OrderDone{now_, o.id, o.participant, o.instrument, o.cl, o.side, o.price, cancelled, o.filled, why});
  }
  // Removes a resting order for good and reports it.
  void remove(ROrder& o, DoneReason why) {
    ROrder copy = o;
    touch(o.instrument, o.side, o.price);
    erase(o.id);
    done(copy, copy.remaining, why);
  }
  void erase(OrderId id) {
    resting_.erase(std::remove_if(resting_.begin(), resting_.end(), [&](const ROrder& o) { return o.id == id; }),
                   resting_.end());
  }
  std::optional<RejectReason> state_reject(const RBook& b) const {
    switch (b.state) {
      case InstrumentState::Open: return std::nullopt;
      case InstrumentState::Listed: return RejectReason::InstrumentNotOpen;
      case InstrumentState::Halted: return RejectReason::InstrumentHalted;
      default: return RejectReason::InstrumentClosed;
    }
  }
  bool admin_ok(CommandKind k, ParticipantId actor, InstrumentId inst) {
    if (actor >= participants_.size()) {
      reject(k, actor, inst, 0, "", RejectReason::UnknownParticipant);
      return false;
    }
    if (!(participants_[actor].roles & kRoleOperator)) {
      reject(k, actor, inst, 0, "", RejectReason::RoleMissing);
      return false;
    }
    return true;
  }

  // ------------------------------------------------------------ matching
  bool fok_fillable(const RBook& b, const ROrder& o) const {
    Quantity need = o.remaining;
    __int128 spend = 0;
    for (const ROrder& r : side_orders(o.instrument, opposite(o.side))) {
      if (o.type == OrderType::Limit && !crosses(o.side, o.price, r.price)) return false;
      if (o.type == OrderType::Market && outside_band(b, r.price)) return false;
      if (r.participant == o.participant) {
        if (o.stp == SelfTradePrevention::CancelOldest) continue;
        return false;
      }
      Quantity q = std::min(need, r.remaining);
      if (o.side == Side::Buy && o.type == OrderType::Market) {
        Money n = r.price * q * b.hours;
        spend += n + fee(n, taker_bps_);
        if (open_buy(o.participant) + unsettled(o.participant) + spend > credit_limit(o.participant)) return false;
      }
      need -= q;
      if (need == 0) return true;
    }
    return false;
  }

  // `o` is not in resting_ while it matches.
  Stop match(RBook& b, ROrder& o) {
    const bool market = o.type == OrderType::Market;
    RBook at_arrival = b;  // the band is measured from the reference when the order arrived
    while (o.remaining > 0) {
      auto opp = side_orders(o.instrument, opposite(o.side));
      if (opp.empty()) return Stop::None;
      ROrder r = opp.front();
      if (!market && !crosses(o.side, o.price, r.price)) return Stop::None;
      if (market && outside_band(at_arrival, r.price)) return Stop::PriceBand;
      if (r.participant == o.participant) {
        switch (o.stp) {
          case SelfTradePrevention::CancelNewest: return Stop::SelfTrade;
          case SelfTradePrevention::CancelOldest: remove(*find(r.id), DoneReason::SelfTrade); continue;
          case SelfTradePrevention::CancelBoth: remove(*find(r.id), DoneReason::SelfTrade); return Stop::SelfTrade;
          case SelfTradePrevention::Decrement: {
            Quantity d = std::min(o.remaining, r.remaining);
            ROrder& rr = *find(r.id);
            touch(o.instrument, rr.side, rr.price);
            if (rr.remaining == d) {
              remove(rr, DoneReason::SelfTrade);
            } else {
              rr.remaining -= d;
              rr.qty -= d;
              out_.on_restated(OrderRestated{now_, rr.id, rr.participant, rr.instrument, rr.cl, rr.side, d, rr.remaining});
            }
            o.remaining -= d;
            o.qty -= d;
            if (o.remaining == 0) {
              done(o, d, DoneReason::SelfTrade);
            } else {
              out_.on_restated(OrderRestated{now_, o.id, o.participant, o.instrument, o.cl, o.side, d, o.remaining});
            }
            continue;
          }
        }
      }
      Quantity q = std::min(o.remaining, r.remaining);
      bool short_credit = false;
      if (market && o.side == Side::Buy) {
        // The most devices whose cost, fee included, fits in what is left (counted down one by one).
        __int128 room = static_cast<__int128>(credit_limit(o.participant)) - open_buy(o.participant) - unsettled(o.participant);
        Quantity fits = q;
        auto cost = [&](Quantity k) { Money n = r.price * k * b.hours; return static_cast<__int128>(n + fee(n, taker_bps_)); };
        while (fits > 0 && cost(fits) > room) --fits;
        if (fits < q) {
          q = fits;
          short_credit = true;
        }
        if (q == 0) return Stop::Credit;
      }
      ROrder& rr = *find(r.id);
      o.remaining -= q;
      o.filled += q;
      rr.remaining -= q;
      rr.filled += q;
      touch(o.instrument, rr.side, rr.price);
      const ROrder& buy = o.side == Side::Buy ? o : rr;
      const ROrder& sell = o.side == Side::Buy ? rr : o;
      const Money notional = r.price * q * b.hours;
      const Money buyer_fee = fee(notional, o.side == Side::Buy ? taker_bps_ : maker_bps_);
      const Money seller_fee = fee(notional, o.side == Side::Buy ? maker_bps_ : taker_bps_);
      bought_[buy.participant] += notional + buyer_fee;
      sold_[{sell.participant, o.instrument}] += q;
      b.ref = r.price;
      auto per_scu = *mul_div_round(r.price, kScuPriceScale / kScale, b.scu);
      out_.on_trade(Trade{now_, next_trade_++, o.instrument, r.price, q, buy.id, sell.id, buy.participant,
                          sell.participant, buy.cl, sell.cl, o.side, buy.remaining, sell.remaining, b.hours,
                          q * b.scu, per_scu, notional, buyer_fee, seller_fee, b.start, b.end, 0, 0, {}});
      if (rr.remaining == 0) erase(rr.id);
      if (short_credit) return Stop::Credit;
    }
    return Stop::None;
  }

  void rest(ROrder o, bool is_new) {
    o.priority = priority_++;
    touch(o.instrument, o.side, o.price);
    resting_.push_back(o);
    if (is_new) joined_[o.id] = join_seq_++;
    if (is_new && o.expire_at != 0) timer(o.expire_at, 0, o.id);
  }

  // ------------------------------------------------------------ commands
  void handle(const NewOrder& c) {
    begin(c.ts);
    std::string cl(c.cl_ord_id.view());
    auto rej = [&](RejectReason r) { reject(CommandKind::NewOrder, c.participant, c.instrument, 0, cl, r, c.side); };
    if (c.participant >= participants_.size()) return rej(RejectReason::UnknownParticipant);
    if (c.instrument >= books_.size()) return rej(RejectReason::UnknownInstrument);
    RBook& b = books_[c.instrument];
    const RParticipant& p = participants_[c.participant];
    if (auto r = state_reject(b)) return rej(*r);
    if (!(p.roles & (c.side == Side::Buy ? kRoleTradeBuy : kRoleTradeSell))) return rej(RejectReason::RoleMissing);
    bool market = c.type == OrderType::Market;
    bool immediate = c.tif == TimeInForce::IOC || c.tif == TimeInForce::FOK;
    if ((market && !immediate) || (c.post_only && (market || immediate))) return rej(RejectReason::InvalidOrderType);
    if ((c.tif == TimeInForce::GTD) != (c.expire_at != 0) || (c.tif == TimeInForce::GTD && c.expire_at <= now_)) {
      return rej(RejectReason::InvalidExpiry);
    }
    if (c.qty <= 0) return rej(RejectReason::InvalidQuantity);
    if (c.qty % b.rules.lot) return rej(RejectReason::LotSize);
    if (c.qty > b.rules.max_order_qty || c.qty > p.max_qty) return rej(RejectReason::MaxOrderQty);
    Money notional = 0;
    if (!market) {
      if (c.price <= 0 || c.price > kMaxPrice) return rej(RejectReason::InvalidPrice);
      if (c.price % b.rules.tick) return rej(RejectReason::TickSize);
      if (outside_band(b, c.price)) return rej(RejectReason::PriceBand);
      auto n = checked_mul3(c.price, c.qty, b.hours);
      if (!n || *n > kMaxNotional) return rej(RejectReason::NotionalOverflow);
      notional = reserve(b, c.price, c.qty);
    }
    if (!immediate && open_count(c.participant) >= p.max_open) return rej(RejectReason::MaxOpenOrders);
    if (c.side == Side::Buy && !market &&
        open_buy(c.participant) + unsettled(c.participant) + notional > credit_limit(c.participant)) {
      return rej(RejectReason::CreditExceeded);
    }
    if (c.post_only) {
      auto opp = side_orders(c.instrument, opposite(c.side));
      if (!opp.empty() && crosses(c.side, c.price, opp.front().price)) return rej(RejectReason::PostOnlyWouldCross);
    }
    if (c.side == Side::Sell && headroom(c.participant, b.region, b.chip_class, b.start, b.end) < c.qty) {
      return rej(RejectReason::CapacityExceeded);
    }
    ROrder o{next_order_++, c.participant, c.instrument, c.side, c.type, c.tif, c.stp, c.post_only,
             market ? 0 : c.price, c.qty, c.qty, 0,
             c.tif == TimeInForce::DAY ? next_cst_midnight(now_) : c.expire_at, cl, 0};
    out_.on_accepted(OrderAccepted{now_, o.id, 0, o.participant, o.instrument, o.cl, o.side, o.type, o.tif,
                                   o.post_only, o.price, o.qty, o.expire_at});
    // The incoming order is not in resting_ while it matches; nothing during matching depends on its own
    // reservation (only market buys check credit mid-match, and they reserve nothing).
    if (c.tif == TimeInForce::FOK && !fok_fillable(b, o)) {
      done(o, o.remaining, DoneReason::FokNotFilled);
      flush();
      return;
    }
    Stop stop = match(b, o);
    if (o.remaining > 0) {
      bool can_rest = !market && !immediate;
      if (can_rest && stop == Stop::None) {
        rest(o, true);
      } else {
        DoneReason why = stop == Stop::SelfTrade   ? DoneReason::SelfTrade
                         : stop == Stop::PriceBand ? DoneReason::PriceBandReached
                         : stop == Stop::Credit    ? DoneReason::CreditLimit
                                                   : DoneReason::ImmediateRemainder;
        done(o, o.remaining, why);
      }
    }
    flush();
  }

  void handle(const CancelOrder& c) {
    begin(c.ts);
    ROrder* o = find(c.order_id);
    if (o && o->participant != c.participant) o = nullptr;  // someone else's order looks like none
    std::string cl(c.cl_ord_id.view());
    InstrumentId inst = o ? o->instrument : kNoInstrument;
    if (c.participant >= participants_.size()) return reject(CommandKind::CancelOrder, c.participant, inst, c.order_id, cl, RejectReason::UnknownParticipant);
    if (!o) return reject(CommandKind::CancelOrder, c.participant, inst, c.order_id, cl, RejectReason::UnknownOrder);
    remove(*o, DoneReason::Cancelled);
    flush();
  }

  void handle(const ReplaceOrder& c) {
    begin(c.ts);
    ROrder* found = find(c.order_id);
    if (found && found->participant != c.participant) found = nullptr;  // as in cancel
    std::string cl(c.cl_ord_id.view());
    InstrumentId inst = found ? found->instrument : kNoInstrument;
    auto rej = [&](RejectReason r) { reject(CommandKind::ReplaceOrder, c.participant, inst, c.order_id, cl, r); };
    if (c.participant >= participants_.size()) return rej(RejectReason::UnknownParticipant);
    if (!found) return rej(RejectReason::UnknownOrder);
    RBook& b = books_[inst];
    if (auto r = state_reject(b)) return rej(*r);
    const RParticipant& p = participants_[c.participant];
    ROrder o = *found;
    Price np = c.price ? c.price : o.price;
    Quantity nq = c.qty ? c.qty : o.qty;
    bool new_id = !cl.empty() && cl != o.cl;
    if (np == o.price && nq == o.qty && !new_id) return rej(RejectReason::NothingToChange);
    if (np < 0 || np > kMaxPrice) return rej(RejectReason::InvalidPrice);
    if (nq < 0) return rej(RejectReason::InvalidQuantity);
    if (nq <= o.filled) return rej(RejectReason::QtyBelowFilled);
    if (np != o.price) {
      if (np % b.rules.tick) return rej(RejectReason::TickSize);
      if (outside_band(b, np)) return rej(RejectReason::PriceBand);
    }
    if (nq % b.rules.lot) return rej(RejectReason::LotSize);
    if (nq > b.rules.max_order_qty || nq > p.max_qty) return rej(RejectReason::MaxOrderQty);
    Quantity nrem = nq - o.filled;
    auto new_notional = checked_mul3(np, nrem, b.hours);
    if (!new_notional || *new_notional > kMaxNotional) return rej(RejectReason::NotionalOverflow);
    Money new_res = reserve(b, np, nrem), old_res = reserve(b, o.price, o.remaining);
    if (o.side == Side::Buy && new_res > old_res &&
        open_buy(o.participant) + unsettled(o.participant) + (new_res - old_res) > credit_limit(o.participant)) {
      return rej(RejectReason::CreditExceeded);
    }
    if (o.post_only && np != o.price) {
      auto opp = side_orders(inst, opposite(o.side));
      if (!opp.empty() && crosses(o.side, np, opp.front().price)) return rej(RejectReason::PostOnlyWouldCross);
    }
    if (o.side == Side::Sell && nrem > o.remaining &&
        headroom(o.participant, b.region, b.chip_class, b.start, b.end) < nrem - o.remaining) {
      return rej(RejectReason::CapacityExceeded);
    }
    if (new_id) o.cl = cl;
    bool keep = np == o.price && nrem <= o.remaining;
    if (keep) {
      found->remaining = nrem;
      found->qty = nq;
      found->cl = o.cl;
      touch(inst, o.side, o.price);
      out_.on_replaced(OrderReplaced{now_, o.id, o.participant, inst, found->cl, o.side, np, nq, nrem, true});
      flush();
      return;
    }
    touch(inst, o.side, o.price);
    erase(o.id);
    o.price = np;
    o.qty = nq;
    o.remaining = nrem;
    out_.on_replaced(OrderReplaced{now_, o.id, o.participant, inst, o.cl, o.side, np, nq, nrem, false});
    Stop stop = match(b, o);
    if (o.remaining > 0) {
      if (stop == Stop::SelfTrade) {
        done(o, o.remaining, DoneReason::SelfTrade);
      } else {
        rest(o, false);
      }
    }
    flush();
  }

  void handle(const MassCancel& c) {
    begin(c.ts);
    auto rej = [&](RejectReason r) { reject(CommandKind::MassCancel, c.participant, c.instrument, 0, "", r); };
    if (c.participant >= participants_.size()) return rej(RejectReason::UnknownParticipant);
    bool op = participants_[c.participant].roles & kRoleOperator;
    if (!op && c.target != c.participant) return rej(RejectReason::RoleMissing);
    if (c.target != kNoParticipant && c.target >= participants_.size()) return rej(RejectReason::UnknownParticipant);
    if (c.instrument != kNoInstrument && c.instrument >= books_.size()) return rej(RejectReason::UnknownInstrument);
    std::vector<ROrder> victims;
    if (c.target != kNoParticipant) {
      // A participant's orders go newest-joined first (the engine keeps them in a push-front list).
      for (const ROrder& o : resting_) {
        if (o.participant == c.target && (c.instrument == kNoInstrument || o.instrument == c.instrument)) victims.push_back(o);
      }
      std::sort(victims.begin(), victims.end(), [&](const ROrder& a, const ROrder& b) { return joined_[a.id] > joined_[b.id]; });
    } else {
      for (InstrumentId i = 0; i < books_.size(); ++i) {
        if (c.instrument != kNoInstrument && i != c.instrument) continue;
        for (Side s : {Side::Buy, Side::Sell}) for (const ROrder& o : side_orders(i, s)) victims.push_back(o);
      }
    }
    for (const ROrder& v : victims) remove(*find(v.id), DoneReason::MassCancelled);
    out_.on_mass_cancel(MassCancelDone{now_, c.participant, c.target, c.instrument, victims.size()});
    flush();
  }

  void handle(const ListInstrument& c) {
    begin(c.ts);
    if (!admin_ok(CommandKind::ListInstrument, c.actor, kNoInstrument)) return;
    RBook b = *pending_listing_;
    pending_listing_.reset();
    b.rules = c.rules;
    b.open_at = c.open_at;
    if (b.start - c.rules.gate_closure_ns <= now_) return reject(CommandKind::ListInstrument, c.actor, kNoInstrument, 0, "", RejectReason::ListingTooLate);
    InstrumentId id = static_cast<InstrumentId>(books_.size());
    books_.push_back(b);
    out_.on_admin(AdminDone{now_, CommandKind::ListInstrument, c.actor, books_.back().symbol});
    if (c.open_at > now_) timer(c.open_at, 1, id); else set_state(id, InstrumentState::Open);
    timer(b.start - c.rules.gate_closure_ns, 2, id);
    timer(b.end, 3, id);
  }

  void handle(const SetInstrumentState& c) {
    begin(c.ts);
    if (!admin_ok(CommandKind::SetInstrumentState, c.actor, c.instrument)) return;
    RBook& b = books_[c.instrument];
    InstrumentState from = c.action == StateAction::Halt ? InstrumentState::Open : InstrumentState::Halted;
    if (b.state != from) return reject(CommandKind::SetInstrumentState, c.actor, c.instrument, 0, "", RejectReason::InvalidStateChange);
    out_.on_admin(AdminDone{now_, CommandKind::SetInstrumentState, c.actor, b.symbol});
    set_state(c.instrument, c.action == StateAction::Halt ? InstrumentState::Halted : InstrumentState::Open);
  }

  void handle(const RegisterCapacity& c) {
    begin(c.ts);
    if (!admin_ok(CommandKind::RegisterCapacity, c.actor, kNoInstrument)) return;
    if (c.devices < 0 && headroom(c.supplier, c.region, c.chip_class, c.from, c.to) < -c.devices) {
      return reject(CommandKind::RegisterCapacity, c.actor, kNoInstrument, 0, "", RejectReason::CapacityInUse);
    }
    registrations_.push_back({c.supplier, c.region, c.chip_class, c.from, c.to, c.devices});
    out_.on_admin(AdminDone{now_, CommandKind::RegisterCapacity, c.actor, participants_[c.supplier].code});
  }

  void handle(const SetCredit& c) {
    begin(c.ts);
    if (!admin_ok(CommandKind::SetCredit, c.actor, kNoInstrument)) return;
    credit_[c.participant] = c.limit;
    out_.on_admin(AdminDone{now_, CommandKind::SetCredit, c.actor, participants_[c.participant].code});
  }

  void handle(const SetReferencePrice& c) {
    begin(c.ts);
    if (!admin_ok(CommandKind::SetReferencePrice, c.actor, c.instrument)) return;
    books_[c.instrument].ref = c.price;
    out_.on_admin(AdminDone{now_, CommandKind::SetReferencePrice, c.actor, books_[c.instrument].symbol});
  }

  void handle(const AdvanceTime& c) { begin(c.ts); }

  void handle(const SetFees& c) {
    begin(c.ts);
    if (!admin_ok(CommandKind::SetFees, c.actor, kNoInstrument)) return;
    if (c.maker_bps < 0 || c.taker_bps < 0 || c.maker_bps > 1000 || c.taker_bps > 1000) {
      return reject(CommandKind::SetFees, c.actor, kNoInstrument, 0, "", RejectReason::InvalidValue);
    }
    maker_bps_ = c.maker_bps;
    taker_bps_ = c.taker_bps;
    out_.on_admin(AdminDone{now_, CommandKind::SetFees, c.actor, "fees"});
    // Buyers whose open buys no longer fit their credit lose their newest buys until the rest fit.
    for (ParticipantId p = 0; p < participants_.size(); ++p) {
      while (open_buy(p) + unsettled(p) > credit_limit(p)) {
        const ROrder* newest = nullptr;
        for (const ROrder& o : resting_) {
          if (o.participant == p && o.side == Side::Buy && (!newest || joined_[o.id] > joined_[newest->id])) newest = &o;
        }
        if (!newest) break;
        remove(*find(newest->id), DoneReason::FeeChange);
      }
    }
    flush();
  }
  template <class T>
  void handle(const T&) {}  // reference data commands are set up directly

  EventListener& out_;
  Timestamp now_ = 0;
  OrderId next_order_ = 1;
  TradeId next_trade_ = 1;
  uint64_t priority_ = 0;
  uint64_t timer_seq_ = 0;
  int64_t maker_bps_ = 0;
  int64_t taker_bps_ = 0;
  uint64_t join_seq_ = 0;
  std::vector<RParticipant> participants_;
  std::vector<RBook> books_;
  std::optional<RBook> pending_listing_;
  std::vector<ROrder> resting_;
  std::vector<RTimer> timers_;
  std::vector<Touch> touched_;
  std::vector<Registration> registrations_;
  std::map<ParticipantId, Money> credit_;
  std::map<ParticipantId, Money> bought_;
  std::map<std::pair<ParticipantId, InstrumentId>, Quantity> sold_;
  std::map<OrderId, uint64_t> joined_;
};

}  // namespace cpx::test
