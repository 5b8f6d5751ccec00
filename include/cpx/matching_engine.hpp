#pragma once
// The matching core: every instrument's book, pre-trade risk, the capacity registry, credit and the
// instrument lifecycle. Single-threaded and deterministic: the same commands give the same events and the
// same state hash. Ordinary rejects are events, never exceptions.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/commands.hpp"
#include "cpx/events.hpp"
#include "cpx/result.hpp"

namespace cpx {

struct EngineConfig {
  size_t expected_orders = 1 << 16;       // order pool and id index are sized for this many open orders
  size_t expected_instruments = 1 << 10;
};

struct LevelView {
  Price price;
  Quantity qty;
  uint32_t orders;
};

struct OrderView {
  OrderId id;
  ParticipantId participant;
  InstrumentId instrument;
  std::string_view cl_ord_id;
  Side side;
  TimeInForce tif;
  Price price;
  Quantity qty;        // original total (after replaces)
  Quantity remaining;  // open
  Quantity filled;
  Timestamp expire_at;
};

struct CreditView {
  Money limit = 0;
  Money open_buy = 0;        // reserved by open buy orders
  Money unsettled_bought = 0; // bought and not yet settled
};

class MatchingEngine {
 public:
  explicit MatchingEngine(EventListener& listener, EngineConfig config = {});
  ~MatchingEngine();
  MatchingEngine(const MatchingEngine&) = delete;
  MatchingEngine& operator=(const MatchingEngine&) = delete;

  void apply(const Command& command);
  void new_order(const NewOrder& c);
  void cancel(const CancelOrder& c);
  void replace(const ReplaceOrder& c);
  void mass_cancel(const MassCancel& c);
  void add_region(const AddRegion& c);
  void add_chip_class(const AddChipClass& c);
  void add_participant(const AddParticipant& c);
  void list_instrument(const ListInstrument& c);
  void set_instrument_state(const SetInstrumentState& c);
  void register_capacity(const RegisterCapacity& c);
  void set_credit(const SetCredit& c);
  void set_reference_price(const SetReferencePrice& c);
  void advance_time(const AdvanceTime& c);
  void set_fees(const SetFees& c);

  // Settlement's effect on a buyer's credit (not a command: the exchange calls it while it applies a
  // command that moved money, so replay repeats it): the limit and the unsettled bought amount move by
  // the given deltas.
  void adjust_credit(ParticipantId participant, Money limit_delta, Money unsettled_delta);

  // Read-only views for gateways, tools and tests.
  Timestamp now() const;
  InstrumentId find_instrument(std::string_view symbol) const;
  ParticipantId find_participant(std::string_view code) const;
  RegionId find_region(std::string_view code) const;          // UINT16_MAX when unknown
  ChipClassId find_chip_class(std::string_view code) const;   // UINT16_MAX when unknown
  const InstrumentInfo* instrument(InstrumentId id) const;
  InstrumentState instrument_state(InstrumentId id) const;
  Price reference_price(InstrumentId id) const;  // 0 when none
  const Participant* participant(ParticipantId id) const;
  const Region* region(RegionId id) const;
  const ChipClass* chip_class(ChipClassId id) const;
  const std::vector<NetworkLink>& links() const;  // the network, in the order links were added
  size_t instrument_count() const;
  size_t participant_count() const;
  size_t open_order_count() const;
  int64_t open_orders_of(ParticipantId id) const;
  bool find_order(OrderId id, OrderView& out) const;
  // Top `levels` price levels of one side, best first.
  void depth(InstrumentId id, Side side, size_t levels, std::vector<LevelView>& out) const;
  // Every open order of one side in priority order (for tests and snapshots).
  void orders_in_book(InstrumentId id, Side side, std::vector<OrderView>& out) const;
  CreditView credit(ParticipantId id) const;
  // Smallest free registered capacity over [from, to) for a supplier's region x class.
  Quantity capacity_headroom(ParticipantId supplier, RegionId region, ChipClassId chip_class, Timestamp from,
                             Timestamp to) const;
  // Monitoring: device-hours registered for a region x class within [from, to), over all suppliers.
  int64_t registered_device_hours(RegionId region, ChipClassId chip_class, Timestamp from, Timestamp to) const;
  // The day-ahead auctions (include/cpx/auction_book.hpp): one per delivery day, by its 00:00 CST.
  const AuctionDay* auction(Timestamp day_start) const;
  std::vector<Timestamp> auction_days() const;
  // Routed children that met an ask their plan did not name: always 0 unless there is a bug (tests).
  uint64_t route_plan_mismatches() const;
  // A hash over the whole engine state; equal states give equal hashes.
  uint64_t state_hash() const;

  // The whole engine state as bytes. restore() loads such bytes into a newly constructed engine (no
  // commands applied yet); damaged bytes give an error and leave an engine that must be discarded.
  std::string snapshot() const;
  Result<bool> restore(std::string_view bytes);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpx
