// Engine snapshots: the complete state of MatchingEngine::Impl as bytes, and back. Recovery loads the
// latest snapshot and replays the journal after it; the state hash after a restore equals the hash the
// engine had when the snapshot was taken.
#include "cpx/auction_codec.hpp"
#include "cpx/domain_codec.hpp"
#include "engine_impl.hpp"

namespace cpx {

namespace {

constexpr uint32_t kMagic = 0x53585043;  // "CPXS"
constexpr uint8_t kVersion = 5;  // 3: network links; 4: auctions; 5: clearing summaries (v4 still read)

void put_order(ByteWriter& w, const Order& o) {
  w.u64(o.id);
  w.u32(o.participant);
  w.u8(static_cast<uint8_t>(o.type));
  w.u8(static_cast<uint8_t>(o.tif));
  w.u8(static_cast<uint8_t>(o.stp));
  w.u8(o.post_only ? 1 : 0);
  w.i64(o.price);
  w.i64(o.remaining);
  w.i64(o.qty);
  w.i64(o.expire_at);
  w.str(o.cl_ord_id.view());
}

}  // namespace

void MatchingEngine::Impl::save(ByteWriter& w) const {
  w.u32(kMagic);
  w.u8(kVersion);
  w.i64(now_);
  w.u64(next_order_id_);
  w.u64(next_trade_id_);
  w.i64(maker_fee_bps_);
  w.i64(taker_fee_bps_);

  w.u64(regions_.size());
  for (const Region& r : regions_) put(w, r);
  w.u64(classes_.size());
  for (const ChipClass& c : classes_) put(w, c);
  w.u64(participants_.size());
  for (const ParticipantState& p : participants_) {
    put(w, p.info);
    w.i64(p.credit_limit);
    w.i64(p.open_buy);
    w.i64(p.unsettled_bought);
  }
  w.u64(links_.size());
  for (const NetworkLink& l : links_) put(w, l);
  w.u64(books_.size());
  for (const auto& bp : books_) {
    const OrderBook& b = *bp;
    w.str(b.info.symbol);
    w.u32(b.info.region);
    w.u32(b.info.chip_class);
    w.u8(static_cast<uint8_t>(b.info.tenor));
    w.i64(b.info.start);
    w.i64(b.info.end);
    w.i64(b.info.hours);
    w.i64(b.info.scu_per_device);
    w.i64(b.info.open_at);
    put(w, b.info.rules);
    w.u8(static_cast<uint8_t>(b.state));
    w.i64(b.reference_price);
    for (Side s : {Side::Buy, Side::Sell}) {
      const BookSide& side = b.side(s);
      uint64_t n = 0;
      for (size_t i = 0; i < side.level_count(); ++i) n += side.from_best(i)->count;
      w.u64(n);
      for (size_t i = 0; i < side.level_count(); ++i) {
        for (const Order* o = side.from_best(i)->head; o; o = o->next) put_order(w, *o);
      }
    }
  }
  // Each participant's open orders in list order (mass cancel walks them in this order).
  for (const ParticipantState& p : participants_) {
    w.u64(static_cast<uint64_t>(p.open_orders));
    for (const Order* o = p.orders; o; o = o->owner_next) w.u64(o->id);
  }
  uint64_t lines = 0;
  capacity_.for_each([&](uint64_t, const CapacityRegistry::Steps&) { ++lines; });
  w.u64(lines);
  capacity_.for_each([&](uint64_t key, const CapacityRegistry::Steps& steps) {
    w.u64(key);
    w.u64(steps.size());
    for (const auto& [t, q] : steps) {
      w.i64(t);
      w.i64(q);
    }
  });
  const auto& timers = timers_.entries();
  w.u64(timers_.next_seq());
  w.u64(timers.size());
  for (const detail::Timer& t : timers) {
    w.i64(t.at);
    w.u64(t.seq);
    w.u8(static_cast<uint8_t>(t.kind));
    w.u64(t.id);
  }
  save_auctions(w);
  w.u64(registrations_.size());
  for (const Registration& x : registrations_) {
    w.u32(x.region);
    w.u32(x.chip_class);
    w.i64(x.from);
    w.i64(x.to);
    w.i64(x.devices);
  }
}

Result<bool> MatchingEngine::Impl::load(ByteReader& r) {
  auto bad = [](const std::string& what) { return make_error("snapshot_corrupt", "snapshot " + what); };
  if (participants_.size() != 1 || !books_.empty() || !regions_.empty() || !classes_.empty()) {
    return make_error("snapshot_target", "a snapshot can only be restored into a new engine");
  }
  if (r.u32() != kMagic) return bad("does not start with the CPX snapshot marker");
  const uint8_t version = r.u8();
  if (version != kVersion && version != 4) return bad("has version " + std::to_string(version));
  now_ = r.i64();
  next_order_id_ = r.u64();
  next_trade_id_ = r.u64();
  maker_fee_bps_ = r.i64();
  taker_fee_bps_ = r.i64();

  for (uint64_t n = r.count(8), i = 0; i < n; ++i) {
    Region x;
    get(r, x);
    region_by_code_.emplace(x.code, static_cast<RegionId>(regions_.size()));
    regions_.push_back(std::move(x));
  }
  for (uint64_t n = r.count(8), i = 0; i < n; ++i) {
    ChipClass x;
    get(r, x);
    class_by_code_.emplace(x.code, static_cast<ChipClassId>(classes_.size()));
    classes_.push_back(std::move(x));
  }
  const uint64_t participant_count = r.count(8);
  if (participant_count == 0) return bad("has no participants");
  participants_.clear();
  participant_by_code_.clear();
  for (uint64_t i = 0; i < participant_count; ++i) {
    ParticipantState p;
    get(r, p.info);
    p.credit_limit = r.i64();
    p.open_buy = r.i64();
    p.unsettled_bought = r.i64();
    participant_by_code_.emplace(p.info.code, static_cast<ParticipantId>(participants_.size()));
    participants_.push_back(std::move(p));
  }
  for (uint64_t n = r.count(8), i = 0; i < n && r.ok(); ++i) {
    NetworkLink l;
    get(r, l);
    if (!r.ok() || l.from >= regions_.size() || l.to >= regions_.size() || l.carrier >= participants_.size())
      return bad("has a network link with bad reference data");
    links_.push_back(l);
  }
  for (uint64_t n = r.count(8), i = 0; i < n && r.ok(); ++i) {
    InstrumentInfo info;
    info.id = static_cast<InstrumentId>(books_.size());
    info.symbol = r.str();
    info.region = static_cast<RegionId>(r.u32());
    info.chip_class = static_cast<ChipClassId>(r.u32());
    info.tenor = r.small_enum<Tenor>(4);
    info.start = r.i64();
    info.end = r.i64();
    info.hours = r.i64();
    info.scu_per_device = r.i64();
    info.open_at = r.i64();
    get(r, info.rules);
    if (!r.ok() || info.region >= regions_.size() || info.chip_class >= classes_.size() || info.rules.tick <= 0 ||
        info.hours <= 0 || info.scu_per_device <= 0) {
      return bad("has an instrument with bad reference data");
    }
    auto book = std::make_unique<OrderBook>(std::move(info));
    book->state = r.small_enum<InstrumentState>(5);
    book->reference_price = r.i64();
    for (Side s : {Side::Buy, Side::Sell}) {
      for (uint64_t k = r.count(40), j = 0; j < k; ++j) {
        Order* o = orders_.acquire();
        o->id = r.u64();
        o->participant = r.u32();
        o->instrument = book->info.id;
        o->side = s;
        o->type = r.small_enum<OrderType>(2);
        o->tif = r.small_enum<TimeInForce>(5);
        o->stp = r.small_enum<SelfTradePrevention>(4);
        o->post_only = r.u8() != 0;
        o->price = r.i64();
        o->remaining = r.i64();
        o->qty = r.i64();
        o->expire_at = r.i64();
        r.cl_ord_id(o->cl_ord_id);
        if (!r.ok() || o->participant >= participants_.size() || o->remaining <= 0 || o->qty < o->remaining ||
            index_.find(o->id) != nullptr || o->id == 0 || o->price <= 0 || o->price % book->info.rules.tick != 0) {
          orders_.release(o);
          return bad("has a damaged order");
        }
        PriceLevel* lvl = book->side(s).find_or_insert(o->price, book->info.rules.tick, [&] {
          PriceLevel* fresh = levels_.acquire();
          fresh->price = o->price;
          return fresh;
        });
        lvl->push_back(o);
        index_.insert(o->id, o);
        if (o->expire_at != 0) ++live_expiring_;
      }
    }
    book_by_symbol_.emplace(book->info.symbol, book->info.id);
    books_.push_back(std::move(book));
  }
  for (ParticipantState& p : participants_) {
    const uint64_t n = r.count(8);
    Order* prev = nullptr;
    for (uint64_t i = 0; i < n; ++i) {
      Order* o = index_.find(r.u64());
      if (!o || &participants_[o->participant] != &p || o->owner_prev || o == p.orders) {
        return bad("has an owner list naming an unknown or repeated order");
      }
      o->owner_prev = prev;
      o->owner_next = nullptr;
      if (prev) prev->owner_next = o; else p.orders = o;
      prev = o;
    }
    p.open_orders = static_cast<int64_t>(n);
  }
  for (uint64_t n = r.count(16), i = 0; i < n && r.ok(); ++i) {
    const auto key = CapacityRegistry::unpack(r.u64());
    CapacityRegistry::Steps* line = capacity_.line_for(key);
    line->clear();
    for (uint64_t k = r.count(16), j = 0; j < k; ++j) {
      const Timestamp t = r.i64();
      const Quantity q = r.i64();
      line->emplace_back(t, q);
    }
    if (key.supplier >= participants_.size() || line->empty()) return bad("has a damaged capacity line");
    participants_[key.supplier].set_capacity_line(key.region, key.chip_class, line);
  }
  const uint64_t timer_seq = r.u64();
  std::vector<detail::Timer> timers;
  for (uint64_t n = r.count(25), i = 0; i < n; ++i) {
    detail::Timer t{};
    t.at = r.i64();
    t.seq = r.u64();
    t.kind = r.small_enum<TimerKind>(5);
    t.id = r.u64();
    timers.push_back(t);
  }
  timers_.restore(std::move(timers), timer_seq);
  if (!load_auctions(r, /*with_summaries=*/version >= 5)) return bad("has a damaged auction");
  for (uint64_t n = r.count(32), i = 0; i < n; ++i) {
    Registration x;
    x.region = static_cast<RegionId>(r.u32());
    x.chip_class = static_cast<ChipClassId>(r.u32());
    x.from = r.i64();
    x.to = r.i64();
    x.devices = r.i64();
    registrations_.push_back(x);
  }
  if (!r.ok()) return bad("is truncated or has a value out of range");
  if (!r.done()) return bad("has trailing bytes");
  uint64_t counted = 0;
  for (const ParticipantState& p : participants_) counted += static_cast<uint64_t>(p.open_orders);
  if (counted != index_.size()) return bad("owner lists do not cover every open order");
  // Every open sell holds capacity on its seller's line.
  for (const auto& book : books_) {
    const BookSide& asks = book->asks;
    for (size_t i = 0; i < asks.level_count(); ++i) {
      for (const Order* o = asks.from_best(i)->head; o; o = o->next) {
        if (!participants_[o->participant].capacity_line(book->info.region, book->info.chip_class)) {
          return bad("has a sell order without a capacity line");
        }
      }
    }
  }
  return true;
}

std::string MatchingEngine::snapshot() const {
  std::string out;
  ByteWriter w(out);
  impl_->save(w);
  return out;
}

Result<bool> MatchingEngine::restore(std::string_view bytes) {
  ByteReader r(bytes);
  return impl_->load(r);
}

}  // namespace cpx
