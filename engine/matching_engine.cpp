#include "engine_impl.hpp"

#include <type_traits>

namespace cpx {

// ------------------------------------------------------------------ public face

MatchingEngine::MatchingEngine(EventListener& listener, EngineConfig config)
    : impl_(std::make_unique<Impl>(listener, config)) {}
MatchingEngine::~MatchingEngine() = default;

void MatchingEngine::apply(const Command& command) {
  std::visit(
      [this](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, NewOrder>) impl_->new_order(c);
        else if constexpr (std::is_same_v<T, CancelOrder>) impl_->cancel(c);
        else if constexpr (std::is_same_v<T, ReplaceOrder>) impl_->replace(c);
        else if constexpr (std::is_same_v<T, MassCancel>) impl_->mass_cancel(c);
        else if constexpr (std::is_same_v<T, AddRegion>) impl_->add_region(c);
        else if constexpr (std::is_same_v<T, AddChipClass>) impl_->add_chip_class(c);
        else if constexpr (std::is_same_v<T, AddParticipant>) impl_->add_participant(c);
        else if constexpr (std::is_same_v<T, ListInstrument>) impl_->list_instrument(c);
        else if constexpr (std::is_same_v<T, SetInstrumentState>) impl_->set_instrument_state(c);
        else if constexpr (std::is_same_v<T, RegisterCapacity>) impl_->register_capacity(c);
        else if constexpr (std::is_same_v<T, SetCredit>) impl_->set_credit(c);
        else if constexpr (std::is_same_v<T, SetReferencePrice>) impl_->set_reference_price(c);
        else if constexpr (std::is_same_v<T, AdvanceTime>) impl_->advance_time(c);
        else if constexpr (std::is_same_v<T, SetFees>) impl_->set_fees(c);
        else if constexpr (std::is_same_v<T, AddLink>) impl_->add_link(c);
        else if constexpr (std::is_same_v<T, RoutedOrder>) impl_->routed_order(c);
        else if constexpr (std::is_same_v<T, OpenAuction>) impl_->open_auction(c);
        else if constexpr (std::is_same_v<T, AuctionOffer>) impl_->auction_offer(c);
        else if constexpr (std::is_same_v<T, AuctionBid>) impl_->auction_bid(c);
        else if constexpr (std::is_same_v<T, CancelAuctionOrder>) impl_->cancel_auction_order(c);
        else if constexpr (std::is_same_v<T, ClearAuction>) impl_->clear_auction(c);
        // Settlement commands belong to the exchange around the engine; here they only move time.
        else impl_->advance_time(AdvanceTime{c.ts});
      },
      command);
}

void MatchingEngine::new_order(const NewOrder& c) { impl_->new_order(c); }
void MatchingEngine::cancel(const CancelOrder& c) { impl_->cancel(c); }
void MatchingEngine::replace(const ReplaceOrder& c) { impl_->replace(c); }
void MatchingEngine::mass_cancel(const MassCancel& c) { impl_->mass_cancel(c); }
void MatchingEngine::add_region(const AddRegion& c) { impl_->add_region(c); }
void MatchingEngine::add_chip_class(const AddChipClass& c) { impl_->add_chip_class(c); }
void MatchingEngine::add_participant(const AddParticipant& c) { impl_->add_participant(c); }
void MatchingEngine::list_instrument(const ListInstrument& c) { impl_->list_instrument(c); }
void MatchingEngine::set_instrument_state(const SetInstrumentState& c) { impl_->set_instrument_state(c); }
void MatchingEngine::register_capacity(const RegisterCapacity& c) { impl_->register_capacity(c); }
void MatchingEngine::set_credit(const SetCredit& c) { impl_->set_credit(c); }
void MatchingEngine::set_reference_price(const SetReferencePrice& c) { impl_->set_reference_price(c); }
void MatchingEngine::advance_time(const AdvanceTime& c) { impl_->advance_time(c); }
void MatchingEngine::set_fees(const SetFees& c) { impl_->set_fees(c); }
void MatchingEngine::adjust_credit(ParticipantId p, Money limit_delta, Money unsettled_delta) {
  impl_->adjust_credit(p, limit_delta, unsettled_delta);
}

Timestamp MatchingEngine::now() const { return impl_->now(); }
uint64_t MatchingEngine::route_plan_mismatches() const { return impl_->route_plan_mismatches(); }
const AuctionDay* MatchingEngine::auction(Timestamp day_start) const { return impl_->auction(day_start); }
std::vector<Timestamp> MatchingEngine::auction_days() const { return impl_->auction_days(); }
int64_t MatchingEngine::registered_device_hours(RegionId region, ChipClassId chip_class, Timestamp from,
                                                Timestamp to) const {
  return impl_->registered_device_hours(region, chip_class, from, to);
}
InstrumentId MatchingEngine::find_instrument(std::string_view s) const { return impl_->find_instrument(s); }
ParticipantId MatchingEngine::find_participant(std::string_view c) const { return impl_->find_participant(c); }
RegionId MatchingEngine::find_region(std::string_view c) const { return impl_->find_region(c); }
ChipClassId MatchingEngine::find_chip_class(std::string_view c) const { return impl_->find_chip_class(c); }
const InstrumentInfo* MatchingEngine::instrument(InstrumentId id) const {
  const OrderBook* b = impl_->book(id);
  return b ? &b->info : nullptr;
}
InstrumentState MatchingEngine::instrument_state(InstrumentId id) const {
  const OrderBook* b = impl_->book(id);
  return b ? b->state : InstrumentState::Expired;
}
Price MatchingEngine::reference_price(InstrumentId id) const {
  const OrderBook* b = impl_->book(id);
  return b ? b->reference_price : 0;
}
const Participant* MatchingEngine::participant(ParticipantId id) const {
  const auto* p = impl_->participant(id);
  return p ? &p->info : nullptr;
}
const Region* MatchingEngine::region(RegionId id) const { return impl_->region(id); }
const ChipClass* MatchingEngine::chip_class(ChipClassId id) const { return impl_->chip_class(id); }
const std::vector<NetworkLink>& MatchingEngine::links() const { return impl_->links(); }
size_t MatchingEngine::instrument_count() const { return impl_->instrument_count(); }
size_t MatchingEngine::participant_count() const { return impl_->participant_count(); }
size_t MatchingEngine::open_order_count() const { return impl_->open_order_count(); }
int64_t MatchingEngine::open_orders_of(ParticipantId id) const {
  const auto* p = impl_->participant(id);
  return p ? p->open_orders : 0;
}
bool MatchingEngine::find_order(OrderId id, OrderView& out) const { return impl_->find_order(id, out); }

void MatchingEngine::depth(InstrumentId id, Side side, size_t levels, std::vector<LevelView>& out) const {
  out.clear();
  const OrderBook* b = impl_->book(id);
  if (!b) return;
  const BookSide& s = b->side(side);
  for (size_t i = 0; i < s.level_count() && i < levels; ++i) {
    const PriceLevel* lvl = s.from_best(i);
    out.push_back(LevelView{lvl->price, lvl->qty, lvl->count});
  }
}

void MatchingEngine::orders_in_book(InstrumentId id, Side side, std::vector<OrderView>& out) const {
  out.clear();
  const OrderBook* b = impl_->book(id);
  if (!b) return;
  const BookSide& s = b->side(side);
  for (size_t i = 0; i < s.level_count(); ++i) {
    for (const Order* o = s.from_best(i)->head; o; o = o->next) out.push_back(Impl::view(*o));
  }
}

CreditView MatchingEngine::credit(ParticipantId id) const {
  const auto* p = impl_->participant(id);
  return p ? CreditView{p->credit_limit, p->open_buy, p->unsettled_bought} : CreditView{};
}

Quantity MatchingEngine::capacity_headroom(ParticipantId supplier, RegionId region, ChipClassId cls,
                                           Timestamp from, Timestamp to) const {
  return impl_->capacity_headroom(supplier, region, cls, from, to);
}

uint64_t MatchingEngine::state_hash() const { return impl_->state_hash(); }

}  // namespace cpx
