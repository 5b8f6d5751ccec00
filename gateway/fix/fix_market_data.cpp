// Market data and reference data over FIX (docs/FIX.md §3.4, §3.5): MarketDataRequest (V) answered with a
// snapshot and a subscription, SecurityListRequest (x) with the instruments. Part of FixSink, engine thread.
#include "cpx/fixed_point.hpp"
#include "fix/fix_sink.hpp"

namespace cpx::fix {

using fixapi::FixMessage;

void FixSink::market_data_request(uint64_t session, const FixMessage& msg) {
  const std::string type = msg.value(tag::SubscriptionRequestType);
  int64_t depth = 0;
  parse_int(msg.value(tag::MarketDepth), depth);
  std::vector<std::string> symbols;
  for (const auto& g : msg.groups)
    if (g.count_tag == tag::NoRelatedSym)
      for (const auto& entry : g.entries)
        for (const auto& f : entry)
          if (f.tag == tag::Symbol) symbols.push_back(f.value);
  if (symbols.empty()) return refuse(session, msg, RejectReason::MalformedRequest, "name at least one Symbol(55) in NoRelatedSym(146)");
  if (type != "0" && type != "1" && type != "2") {
    return refuse(session, msg, RejectReason::InvalidValue, "SubscriptionRequestType(263) must be 0, 1 or 2");
  }
  for (const std::string& symbol : symbols) {
    const InstrumentId id = core_.names().instrument(symbol);
    if (id == kNoInstrument) return refuse(session, msg, RejectReason::UnknownInstrument, "instrument '" + symbol + "' is not listed");
  }
  for (const std::string& symbol : symbols) {
    if (type == "2") {
      staged_.push_back(FixItem{FixItem::Kind::Unsubscribe, session, kNoParticipant, symbol, nullptr});
      continue;
    }
    const InstrumentId id = core_.names().instrument(symbol);
    auto m = std::make_shared<FixMessage>();
    m->msg_type = "W";
    m->set(tag::MDReqID, msg.value(tag::MDReqID));
    m->set(tag::Symbol, symbol);
    fixapi::FixGroup entries{tag::NoMDEntries, tag::MDEntryType, {}};  // an empty book sends 268=0
    std::vector<LevelView> levels;
    for (Side side : {Side::Buy, Side::Sell}) {
      engine_.depth(id, side, depth <= 0 ? 1000 : static_cast<size_t>(depth), levels);
      for (size_t k = 0; k < levels.size(); ++k) {
        entries.entries.push_back({{tag::MDEntryType, side == Side::Buy ? "0" : "1"},
                                   {tag::MDEntryPx, format_fixed(levels[k].price)},
                                   {tag::MDEntrySize, std::to_string(levels[k].qty)},
                                   {tag::MDEntryPositionNo, std::to_string(k + 1)}});
      }
    }
    m->groups.push_back(std::move(entries));
    const bool subscribe = type == "1";
    staged_.push_back(FixItem{subscribe ? FixItem::Kind::Subscribe : FixItem::Kind::Session, session, kNoParticipant,
                              symbol, std::move(m)});
  }
}

void FixSink::security_list(uint64_t session, const FixMessage& msg) {
  const std::string only = msg.value(tag::Symbol);
  auto m = std::make_shared<FixMessage>();
  m->msg_type = "y";
  m->set(tag::SecurityReqID, msg.value(tag::SecurityReqID));
  m->set(tag::SecurityResponseID, next_exec_id());
  fixapi::FixGroup list{tag::NoRelatedSym, tag::Symbol, {}};
  for (InstrumentId i = 0; i < engine_.instrument_count(); ++i) {
    const InstrumentInfo* info = engine_.instrument(i);
    if (!info || (!only.empty() && info->symbol != only)) continue;
    const Region* r = engine_.region(info->region);
    const ChipClass* c = engine_.chip_class(info->chip_class);
    list.entries.push_back({{tag::Symbol, info->symbol},
                            {tag::SecurityDesc, std::string(r ? r->code : "") + " " + (c ? c->code : "") + " capacity"},
                            {tag::RoundLot, std::to_string(info->rules.lot)},
                            {tag::CpxMinPriceIncrement, format_fixed(info->rules.tick)},
                            {tag::CpxRegion, r ? r->code : ""},
                            {tag::CpxChipClass, c ? c->code : ""},
                            {tag::CpxWindowStart, utc_timestamp(info->start)},
                            {tag::CpxWindowEnd, utc_timestamp(info->end)},
                            {tag::CpxInstrumentState, std::string(to_string(engine_.instrument_state(i)))}});
  }
  m->set(tag::SecurityRequestResult, list.entries.empty() && !only.empty() ? "2" : "0");
  m->set(tag::TotNoRelatedSym, std::to_string(list.entries.size()));
  if (!list.entries.empty()) m->groups.push_back(std::move(list));
  to_session(session, std::move(m));
}

}  // namespace cpx::fix
