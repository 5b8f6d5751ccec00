#include "json/command_codec.hpp"

#include "json/route_codec.hpp"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <optional>
#include <vector>

namespace cpx::api {

namespace {

using nlohmann::json;

// Reads typed fields out of one request object; the first problem wins and is reported.
class Reader {
 public:
  Reader(const json& obj, DecodeError& err) : obj_(obj), err_(err) {}

  bool failed() const { return failed_; }

  void fail(RejectReason reason, std::string text) {
    if (failed_) return;
    failed_ = true;
    err_.reason = reason;
    err_.text = std::move(text);
  }

  const json* field(const char* name, bool required) {
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) {
      if (required) fail(RejectReason::MalformedRequest, std::string("field \"") + name + "\" is required");
      return nullptr;
    }
    return &*it;
  }

  std::string str(const char* name, bool required = true, std::string fallback = {}) {
    const json* v = field(name, required);
    if (!v) return fallback;
    if (!v->is_string()) {
      fail(RejectReason::MalformedRequest, std::string("field \"") + name + "\" must be a string");
      return fallback;
    }
    return v->get<std::string>();
  }

  int64_t integer(const char* name, bool required = true, int64_t fallback = 0) {
    const json* v = field(name, required);
    if (!v) return fallback;
    if (auto n = as_int64(*v)) return *n;
    fail(RejectReason::MalformedRequest, std::string("field \"") + name + "\" must be an integer");
    return fallback;
  }

  // nlohmann says is_number_integer() for unsigned values too: read those as unsigned, so a number above
  // INT64_MAX is refused rather than wrapped negative.
  static std::optional<int64_t> as_int64(const json& v) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(u);
      return std::nullopt;
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    return std::nullopt;
  }

  bool boolean(const char* name, bool fallback = false) {
    const json* v = field(name, false);
    if (!v) return fallback;
    if (!v->is_boolean()) {
      fail(RejectReason::MalformedRequest, std::string("field \"") + name + "\" must be true or false");
      return fallback;
    }
    return v->get<bool>();
  }

  // Decimal as a string ("12.50") or a JSON integer; never a JSON float, which could not be exact.
  int64_t decimal(const char* name, bool required = true, int64_t fallback = 0, int decimals = 4) {
    const json* v = field(name, required);
    if (!v) return fallback;
    if (v->is_number_integer() || v->is_number_unsigned()) {
      auto parsed = parse_fixed(v->dump(), decimals);
      if (parsed) return *parsed;
    } else if (v->is_string()) {
      auto parsed = parse_fixed(v->get<std::string>(), decimals);
      if (parsed) return *parsed;
    }
    fail(RejectReason::MalformedRequest, std::string("field \"") + name +
                                             "\" must be a decimal string with at most " +
                                             std::to_string(decimals) + " decimals, like \"12.50\"");
    return fallback;
  }

  // Time as ISO-8601 text or integer nanoseconds since the epoch.
  Timestamp time(const char* name, bool required, Timestamp fallback) {
    const json* v = field(name, required);
    if (!v) return fallback;
    // The same range as ISO text (1970 to 2200), so no time can push the engine's clock to the end of int64.
    constexpr int64_t kLatest = 7'258'118'400LL * kNanosPerSecond;  // 2200-01-01T00:00:00Z
    if (auto n = as_int64(*v)) {
      if (*n >= 0 && *n < kLatest) return *n;
    } else if (v->is_string()) {
      auto t = parse_iso_time(v->get<std::string>());
      if (t) return *t;
    }
    fail(RejectReason::MalformedRequest,
         std::string("field \"") + name + "\" must be ISO-8601 with a zone, like \"2026-12-01T14:00:00+08:00\", or integer ns");
    return fallback;
  }

  template <class E>
  E choice(const char* name, bool (*parse)(std::string_view, E&), E fallback, const char* allowed) {
    const json* v = field(name, false);
    if (!v) return fallback;
    E out = fallback;
    if (!v->is_string() || !parse(v->get<std::string>(), out)) {
      fail(RejectReason::MalformedRequest, std::string("field \"") + name + "\" must be one of " + allowed);
      return fallback;
    }
    return out;
  }

  template <class E>
  E required_choice(const char* name, bool (*parse)(std::string_view, E&), const char* allowed) {
    if (!field(name, true)) return E{};
    return choice<E>(name, parse, E{}, allowed);
  }

 private:
  const json& obj_;
  DecodeError& err_;
  bool failed_ = false;
};

// Appends `root` as JSON until `out` holds `max` bytes. Iterative: a value nested 30,000 levels deep must
// not cost a stack frame per level (a recursion bounded by `max` still overflowed a 256 KiB stack under
// ASan, whose frames are large). Each open level has written a bracket, so the stack of levels holds at
// most `max` entries.
void append_bounded(const json& root, std::string& out, size_t max) {
  struct Level {
    const json* value;
    json::const_iterator next;
    bool first;
  };
  std::vector<Level> open;
  auto begin = [&](const json& v) {
    if (v.is_array() || v.is_object()) {
      out += v.is_array() ? '[' : '{';
      open.push_back(Level{&v, v.cbegin(), true});
    } else {
      out += v.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  };
  begin(root);
  while (!open.empty() && out.size() < max) {
    Level& level = open.back();
    if (level.next == level.value->cend()) {
      out += level.value->is_array() ? ']' : '}';
      open.pop_back();
      continue;
    }
    if (!level.first) out += ',';
    level.first = false;
    if (level.value->is_object()) out += json(level.next.key()).dump(-1, ' ', false, json::error_handler_t::replace) + ':';
    const json& child = *level.next;
    ++level.next;
    begin(child);  // may grow `open`: `level` is not used after this
  }
}

}  // namespace

std::string shown(std::string_view value, size_t max) {
  if (value.size() <= max) return std::string(value);
  size_t cut = max;
  while (cut > 0 && (static_cast<uint8_t>(value[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  return std::string(value.substr(0, cut)) + "...";
}

std::string shown_json(const json& value, size_t max) {
  std::string out;
  append_bounded(value, out, max + 1);
  return shown(out, max);
}

Result<Command, DecodeError> CommandDecoder::decode(std::string_view line, Timestamp default_ts,
                                                    ParticipantId acting) const {
  DecodeError err;
  if (line.size() > kMaxLineBytes) {
    err.text = "request is " + std::to_string(line.size()) + " bytes; the limit is " + std::to_string(kMaxLineBytes);
    return err;
  }
  json obj = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded()) {
    err.text = "not valid JSON";
    return err;
  }
  return decode_parsed(obj, default_ts, acting);
}

Result<Command, DecodeError> CommandDecoder::decode_parsed(const json& obj, Timestamp default_ts, ParticipantId acting) const {
  DecodeError err;
  if (!obj.is_object()) {
    err.text = "a request must be a JSON object";
    return err;
  }
  Reader in(obj, err);
  err.cmd = shown(in.str("cmd"));
  if (in.failed()) return err;
  const std::string& cmd = err.cmd;
  // A session's requests take the server's time: a client must not move the exchange clock.
  const Timestamp ts = acting != kNoParticipant ? default_ts : in.time("ts", false, default_ts);

  auto participant = [&](const char* field, bool required, ParticipantId fallback) -> ParticipantId {
    const bool present = in.field(field, false) != nullptr;
    if (acting != kNoParticipant && std::string_view(field) == "participant") {
      // A session acts for the participant it logged in as, and for no one else (the engine checks
      // whether that participant may touch others: operators may).
      if (!present) return acting;
      std::string code = in.str(field, true);
      if (!in.failed() && names_.participant(code) != acting) {
        in.fail(RejectReason::NotOwner, "this session acts only for participant '" +
                                            std::string(names_.participant_code(acting)) + "'");
      }
      return acting;
    }
    std::string code = in.str(field, required);
    if (!in.failed() && present && code.empty()) {
      in.fail(RejectReason::MalformedRequest, std::string("field \"") + field + "\" must not be empty");
    }
    if (in.failed() || code.empty()) return fallback;
    ParticipantId id = names_.participant(code);
    if (id == kNoParticipant) in.fail(RejectReason::UnknownParticipant, "participant '" + shown(code) + "' is not known");
    return id;
  };
  auto instrument = [&](const char* field, bool required) -> InstrumentId {
    const bool present = in.field(field, false) != nullptr;
    std::string symbol = in.str(field, required);
    if (!in.failed() && present && symbol.empty()) {
      in.fail(RejectReason::MalformedRequest, std::string("field \"") + field + "\" must not be empty");
    }
    if (in.failed() || symbol.empty()) return kNoInstrument;
    InstrumentId id = names_.instrument(symbol);
    if (id == kNoInstrument) {
      auto parts = parse_symbol(symbol);
      if (!parts) {
        in.fail(RejectReason::BadSymbol, shown(parts.error().text, 200));
      } else {
        in.fail(RejectReason::UnknownInstrument, "instrument '" + shown(symbol) + "' is not listed");
      }
    }
    return id;
  };
  auto cl_ord_id = [&](const char* field, ClOrdId& out) {
    std::string s = in.str(field, false);
    if (!out.assign(s)) {
      in.fail(RejectReason::MalformedRequest,
              std::string("field \"") + field + "\" must be at most " + std::to_string(ClOrdId::kMax) +
                  " bytes with no NUL character");
    }
    if (err.cl_ord_id.empty()) err.cl_ord_id = std::string(out.view());
  };
  // The order a cancel or replace refers to: "order_id", or the client's "orig_cl_ord_id".
  auto target_order = [&](ParticipantId who) -> OrderId {
    if (in.field("order_id", false)) return static_cast<OrderId>(in.integer("order_id"));
    std::string orig = in.str("orig_cl_ord_id", false);
    if (in.failed()) return 0;
    if (orig.empty()) {
      in.fail(RejectReason::MalformedRequest, "give \"order_id\" or \"orig_cl_ord_id\"");
      return 0;
    }
    OrderId id = orders_ ? orders_->find(who, orig) : 0;
    if (id == 0) in.fail(RejectReason::UnknownOrder, "no open order has client id '" + shown(orig) + "'");
    return id;
  };

  Command out = AdvanceTime{ts};
  if (cmd == "new_order") {
    NewOrder c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    cl_ord_id("cl_ord_id", c.cl_ord_id);
    c.instrument = instrument("symbol", true);
    c.side = in.required_choice<Side>("side", parse_side, "buy, sell");
    c.type = in.choice<OrderType>("type", parse_order_type, OrderType::Limit, "limit, market");
    const TimeInForce default_tif = c.type == OrderType::Market ? TimeInForce::IOC : TimeInForce::GTC;
    c.tif = in.choice<TimeInForce>("tif", parse_tif, default_tif, "gtc, day, gtd, ioc, fok");
    c.stp = in.choice<SelfTradePrevention>("stp", parse_stp, SelfTradePrevention::CancelNewest,
                                           "cancel_newest, cancel_oldest, cancel_both, decrement");
    c.post_only = in.boolean("post_only");
    if (c.type == OrderType::Limit) c.price = in.decimal("price");
    c.qty = in.integer("qty");
    c.expire_at = in.time("expire_at", false, 0);
    out = c;
  } else if (cmd == "route_order") {
    RoutedOrder c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    cl_ord_id("cl_ord_id", c.cl_ord_id);
    c.tif = in.choice<TimeInForce>("tif", parse_tif, TimeInForce::IOC, "ioc, fok");
    if (!in.failed() && c.tif != TimeInForce::IOC && c.tif != TimeInForce::FOK) {
      in.fail(RejectReason::InvalidOrderType, "a routed order is \"ioc\" or \"fok\"");
    }
    if (!in.failed() && !in.field("limit_cny_per_scu_hour", false)) {
      in.fail(RejectReason::MalformedRequest,
              "field \"limit_cny_per_scu_hour\" is required: the most the order pays per SCU-hour, landed");
    }
    if (!in.failed()) {
      auto q = decode_route_query(obj, names_);
      if (!q) {
        in.fail(q.error().reason, q.error().text);
      } else {
        c.query = std::move(*q);
      }
    }
    out = c;
  } else if (cmd == "open_auction") {
    OpenAuction c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.day_start = in.time("day", true, 0);
    c.gate_closure = in.time("gate_closure", true, 0);
    out = c;
  } else if (cmd == "auction_offer") {
    AuctionOffer c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    cl_ord_id("cl_ord_id", c.cl_ord_id);
    c.day_start = in.time("day", true, 0);
    const std::string region = in.str("region");
    const std::string chip_class = in.str("class");
    if (!in.failed() && (c.region = names_.region(region)) == UINT16_MAX) {
      in.fail(RejectReason::UnknownRegion, "region '" + shown(region) + "' is not known");
    }
    if (!in.failed() && (c.chip_class = names_.chip_class(chip_class)) == UINT16_MAX) {
      in.fail(RejectReason::UnknownChipClass, "chip class '" + shown(chip_class) + "' is not known");
    }
    c.hour = static_cast<int32_t>(std::clamp<int64_t>(in.integer("hour"), -1, kAuctionHours));
    c.devices = in.integer("devices");
    c.price = in.decimal("price");
    out = c;
  } else if (cmd == "auction_bid") {
    AuctionBid c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    cl_ord_id("cl_ord_id", c.cl_ord_id);
    c.day_start = in.time("day", true, 0);
    c.first_hour = static_cast<int32_t>(std::clamp<int64_t>(in.integer("first_hour"), -1, kAuctionHours + 1));
    c.hours = static_cast<int32_t>(std::clamp<int64_t>(in.integer("hours"), 0, kAuctionHours + 1));
    c.min_ratio_bps = in.decimal("min_ratio", false, kScale, 4);
    if (!in.failed() && !in.field("limit_cny_per_scu_hour", false)) {
      in.fail(RejectReason::MalformedRequest,
              "field \"limit_cny_per_scu_hour\" is required: the most the block pays per SCU-hour, landed");
    }
    if (!in.failed() && in.field("data_gb", false)) {
      in.fail(RejectReason::MalformedRequest, "a block moves \"data_gb_per_hour\", not \"data_gb\"");
    }
    if (!in.failed() && in.field("scu", false)) {
      in.fail(RejectReason::MalformedRequest, "a block asks for \"scu_per_hour\", not \"scu\"");
    }
    if (!in.failed()) {
      // The block's constraints are a route query over the block's hours; its data is per hour. The
      // request is read in place, never copied (a copy recurses once per level a client nested).
      const json window_start = format_iso_time(c.day_start + c.first_hour * kNanosPerHour);
      const json window_end = format_iso_time(c.day_start + (c.first_hour + std::max(c.hours, 1)) * kNanosPerHour);
      const auto data = obj.find("data_gb_per_hour");
      const auto scu = obj.find("scu_per_hour");
      auto q = decode_route_query(obj, names_,
                                  {{"window_start", &window_start},
                                   {"window_end", &window_end},
                                   {"data_gb", data != obj.end() ? &*data : nullptr},
                                   {"scu", scu != obj.end() ? &*scu : nullptr}});
      if (!q) {
        in.fail(q.error().reason, q.error().text);
      } else {
        c.constraints = std::move(*q);
      }
    }
    out = c;
  } else if (cmd == "cancel_auction_order") {
    CancelAuctionOrder c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    c.day_start = in.time("day", true, 0);
    c.order_id = static_cast<uint64_t>(in.integer("order_id"));
    out = c;
  } else if (cmd == "cancel_auction") {
    ClearAuction c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.day_start = in.time("day", true, 0);
    c.cancel = true;
    out = c;
  } else if (cmd == "cancel") {
    CancelOrder c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    cl_ord_id("cl_ord_id", c.cl_ord_id);
    if (!in.failed()) c.order_id = target_order(c.participant);
    out = c;
  } else if (cmd == "replace") {
    ReplaceOrder c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    cl_ord_id("cl_ord_id", c.cl_ord_id);
    if (!in.failed()) c.order_id = target_order(c.participant);
    c.price = in.decimal("price", false, 0);
    c.qty = in.integer("qty", false, 0);
    if (!in.failed() && c.price == 0 && c.qty == 0 && c.cl_ord_id.empty()) {
      in.fail(RejectReason::MalformedRequest, "a replace needs \"price\", \"qty\" or a new \"cl_ord_id\"");
    }
    out = c;
  } else if (cmd == "mass_cancel") {
    MassCancel c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    std::string target = in.str("target", false);
    if (target == "*") {
      c.target = kNoParticipant;
    } else if (target.empty()) {
      c.target = c.participant;
    } else {
      c.target = participant("target", true, kNoParticipant);
    }
    c.instrument = instrument("symbol", false);
    out = c;
  } else if (cmd == "add_region") {
    AddRegion c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.region.code = in.str("code");
    c.region.name = in.str("name");
    c.region.side = in.required_choice<RegionSide>("side", parse_region_side, "east, west");
    c.region.jurisdiction = in.str("jurisdiction");
    if (!in.failed() && (c.region.jurisdiction.empty() || c.region.jurisdiction.size() > kMaxJurisdictionBytes)) {
      // A route's residency list names jurisdictions of at most this length.
      in.fail(RejectReason::InvalidValue, "field \"jurisdiction\" must be 1 to 32 bytes");
    }
    c.region.power_price = in.decimal("power_price_cny_per_kwh");
    c.region.green_share = in.decimal("green_share");
    c.region.pue = in.decimal("pue", false, 0);
    out = c;
  } else if (cmd == "add_chip_class") {
    AddChipClass c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.chip_class.code = in.str("code");
    c.chip_class.family = in.required_choice<ChipFamily>("family", parse_family, "ai, general");
    c.chip_class.device = in.str("device");
    c.chip_class.memory_gb = in.integer("memory_gb", false, 0);
    c.chip_class.interconnect = in.str("interconnect", false);
    c.chip_class.scu_per_device = in.integer("scu_per_device");
    out = c;
  } else if (cmd == "add_participant") {
    AddParticipant c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.participant.code = in.str("code");
    c.participant.name = in.str("name", false, c.participant.code);
    c.participant.kind = in.required_choice<ParticipantKind>(
        "kind", parse_participant_kind, "cloud_vendor, state_operator, carrier, buyer, exchange");
    if (const json* roles = in.field("roles", true)) {
      if (!roles->is_array()) in.fail(RejectReason::MalformedRequest, "field \"roles\" must be an array of strings");
      for (const json& r : roles->is_array() ? *roles : json::array()) {
        Role role{};
        if (!r.is_string() || !parse_role(r.get<std::string>(), role)) {
          in.fail(RejectReason::MalformedRequest,
                  "each role must be one of trade_buy, trade_sell, carrier, operator, read_only");
          break;
        }
        c.participant.roles |= role;
      }
    }
    c.participant.limits.max_open_orders = in.integer("max_open_orders", false, c.participant.limits.max_open_orders);
    c.participant.limits.max_order_qty = in.integer("max_order_qty", false, c.participant.limits.max_order_qty);
    out = c;
  } else if (cmd == "list_instrument") {
    ListInstrument c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.symbol = in.str("symbol");
    if (!in.failed()) {
      auto parts = parse_symbol(c.symbol);
      if (!parts) in.fail(RejectReason::BadSymbol, shown(parts.error().text, 200));
    }
    c.rules.tick = in.decimal("tick", false, c.rules.tick);
    c.rules.lot = in.integer("lot", false, c.rules.lot);
    c.rules.max_order_qty = in.integer("max_order_qty", false, c.rules.max_order_qty);
    c.rules.price_band_bps = in.decimal("price_band_pct", false, c.rules.price_band_bps, 2);
    const int64_t gate_minutes =
        in.integer("gate_closure_minutes", false, c.rules.gate_closure_ns / (60 * kNanosPerSecond));
    if (gate_minutes < 0 || gate_minutes > 60 * 24 * 366) {
      // Not multiplied out of range: minutes x 60e9 overflows int64 beyond 153,722,867 minutes.
      in.fail(RejectReason::InvalidValue, "field \"gate_closure_minutes\" must be between 0 and 527040 (one year)");
    } else {
      c.rules.gate_closure_ns = gate_minutes * 60 * kNanosPerSecond;
    }
    c.open_at = in.time("open_at", false, 0);
    out = c;
  } else if (cmd == "halt" || cmd == "resume") {
    SetInstrumentState c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.instrument = instrument("symbol", true);
    c.action = cmd == "halt" ? StateAction::Halt : StateAction::Resume;
    out = c;
  } else if (cmd == "register_capacity") {
    RegisterCapacity c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.supplier = participant("supplier", true, kNoParticipant);
    c.region = in.str("region");
    c.chip_class = in.str("class");
    c.from = in.time("from", true, 0);
    c.to = in.time("to", true, 0);
    c.devices = in.integer("devices");
    out = c;
  } else if (cmd == "add_link") {
    AddLink c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.from = in.str("from");
    c.to = in.str("to");
    c.latency_ms = in.integer("latency_ms");
    c.capacity_gbps = in.integer("capacity_gbps");
    c.tariff_per_gb = in.decimal("tariff_cny_per_gb");
    c.carrier = participant("carrier", true, kNoParticipant);
    out = c;
  } else if (cmd == "set_credit") {
    SetCredit c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.participant = participant("target", true, kNoParticipant);
    c.limit = in.decimal("amount");
    out = c;
  } else if (cmd == "set_reference_price") {
    SetReferencePrice c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.instrument = instrument("symbol", true);
    c.price = in.decimal("price");
    out = c;
  } else if (cmd == "set_fees") {
    SetFees c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.maker_bps = in.integer("maker_bps");
    c.taker_bps = in.integer("taker_bps");
    out = c;
  } else if (cmd == "deposit" || cmd == "withdraw") {
    const ParticipantId actor = participant("participant", false, kExchangeParticipant);
    const ParticipantId target = participant("target", true, kNoParticipant);
    const Money amount = in.decimal("amount");
    if (cmd == "deposit") out = Deposit{ts, actor, target, amount};
    else out = Withdraw{ts, actor, target, amount};
  } else if (cmd == "set_revenue_share") {
    SetRevenueShare c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.supplier = participant("supplier", true, kNoParticipant);
    const json* shares = in.field("shares", true);
    if (shares && !shares->is_object()) {
      in.fail(RejectReason::MalformedRequest, "field \"shares\" must be an object of participant code to basis points");
    }
    if (shares && shares->is_object()) {
      for (const auto& [code, bps] : shares->items()) {
        ParticipantId p = names_.participant(code);
        if (p == kNoParticipant) {
          in.fail(RejectReason::UnknownParticipant, "participant '" + shown(code) + "' in \"shares\" is not known");
          break;
        }
        auto value = Reader::as_int64(bps);
        if (!value) {
          in.fail(RejectReason::MalformedRequest, "each share must be an integer number of basis points");
          break;
        }
        c.shares.emplace_back(p, *value);
      }
    }
    out = c;
  } else if (cmd == "delivery_report") {
    DeliveryReport c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    c.trade_id = static_cast<TradeId>(in.integer("trade_id"));
    c.delivered_device_hours = in.integer("delivered_device_hours");
    out = c;
  } else if (cmd == "dispute") {
    Dispute c;
    c.ts = ts;
    c.participant = participant("participant", true, kNoParticipant);
    c.trade_id = static_cast<TradeId>(in.integer("trade_id"));
    out = c;
  } else if (cmd == "resolve_dispute") {
    ResolveDispute c;
    c.ts = ts;
    c.actor = participant("participant", false, kExchangeParticipant);
    c.trade_id = static_cast<TradeId>(in.integer("trade_id"));
    c.delivered_device_hours = in.integer("delivered_device_hours");
    out = c;
  } else if (cmd == "advance_time") {
    if (acting != kNoParticipant) {
      in.fail(RejectReason::NotAllowed, "the exchange clock is the server's: sessions cannot advance it");
    } else {
      out = AdvanceTime{in.time("ts", true, default_ts)};
    }
  } else {
    in.fail(RejectReason::MalformedRequest, "unknown cmd '" + shown(cmd) + "'");
  }
  if (in.failed()) return err;
  return out;
}

}  // namespace cpx::api
