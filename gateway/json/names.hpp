#pragma once
// How the JSON layer turns names into engine ids and back. The replay tool resolves through the engine
// itself; a gateway thread can resolve through its own copy.
#include <string_view>

#include "cpx/matching_engine.hpp"

namespace cpx::api {

class NameResolver {
 public:
  virtual ~NameResolver() = default;
  virtual InstrumentId instrument(std::string_view symbol) const = 0;
  virtual ParticipantId participant(std::string_view code) const = 0;
  virtual std::string_view symbol(InstrumentId id) const = 0;
  virtual std::string_view participant_code(ParticipantId id) const = 0;
  virtual const InstrumentInfo* instrument_info(InstrumentId id) const = 0;
  virtual RegionId region(std::string_view code) const = 0;         // UINT16_MAX when unknown
  virtual ChipClassId chip_class(std::string_view code) const = 0;  // UINT16_MAX when unknown
  virtual const Region* region_info(RegionId id) const = 0;
  virtual const ChipClass* chip_class_info(ChipClassId id) const = 0;
  std::string_view region_code(RegionId id) const {
    const Region* r = region_info(id);
    return r ? std::string_view(r->code) : std::string_view();
  }
  std::string_view chip_class_code(ChipClassId id) const {
    const ChipClass* c = chip_class_info(id);
    return c ? std::string_view(c->code) : std::string_view();
  }
};

class EngineNames final : public NameResolver {
 public:
  explicit EngineNames(const MatchingEngine& engine) : engine_(engine) {}
  InstrumentId instrument(std::string_view symbol) const override { return engine_.find_instrument(symbol); }
  ParticipantId participant(std::string_view code) const override { return engine_.find_participant(code); }
  std::string_view symbol(InstrumentId id) const override {
    const InstrumentInfo* i = engine_.instrument(id);
    return i ? std::string_view(i->symbol) : std::string_view();
  }
  std::string_view participant_code(ParticipantId id) const override {
    const Participant* p = engine_.participant(id);
    return p ? std::string_view(p->code) : std::string_view();
  }
  const InstrumentInfo* instrument_info(InstrumentId id) const override { return engine_.instrument(id); }
  RegionId region(std::string_view code) const override { return engine_.find_region(code); }
  ChipClassId chip_class(std::string_view code) const override { return engine_.find_chip_class(code); }
  const Region* region_info(RegionId id) const override { return engine_.region(id); }
  const ChipClass* chip_class_info(ChipClassId id) const override { return engine_.chip_class(id); }

 private:
  const MatchingEngine& engine_;
};

}  // namespace cpx::api
