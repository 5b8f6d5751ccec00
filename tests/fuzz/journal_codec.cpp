// libFuzzer target: the journal's command codec (persistence/command_codec), which recovery runs on every
// record it reads back. One input is one record. Properties, beyond "no crash, leak or UB" (a damaged
// record must be an error, never a crash or a huge allocation):
//  - a record that decodes encodes to bytes that decode again to the same command: re-encoding gives the
//    same bytes (every field of a command is in its encoding, so equal encodings are equal commands);
//  - a refusal names what is wrong (journal_version or journal_corrupt, with a sentence);
//  - applied to the demo market (demo_market.hpp, restored for each input) the command keeps the
//    exchange's cross-checks: recovery applies whatever a record holds, ids and values unchecked by any
//    gateway, and the engine must refuse what is wrong as an event, never crash or lose money.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "command_codec.hpp"
#include "demo_market.hpp"
#include "journal_round_trip.hpp"
#include "fuzz_common.hpp"

namespace {

// Times come from the sequencer's clock and from requests the gateways bound to 1970..2200 (the JSON
// decoder's "ts", "expire_at", "day", ...): the engine may rely on that, so a record with a time outside is
// decoded and round-tripped but not applied.
bool times_in_range(const cpx::Command& command) {
  constexpr cpx::Timestamp kLatest = 7'258'118'400LL * cpx::kNanosPerSecond;  // 2200-01-01T00:00:00Z
  auto ok = [](cpx::Timestamp t) { return t >= 0 && t < kLatest; };
  return std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        bool in = ok(c.ts);
        if constexpr (std::is_same_v<T, cpx::NewOrder>) in = in && ok(c.expire_at);
        if constexpr (std::is_same_v<T, cpx::RegisterCapacity>) in = in && ok(c.from) && ok(c.to);
        if constexpr (std::is_same_v<T, cpx::ListInstrument>) in = in && ok(c.open_at);
        if constexpr (std::is_same_v<T, cpx::RoutedOrder>) in = in && ok(c.query.window_start) && ok(c.query.window_end);
        if constexpr (std::is_same_v<T, cpx::OpenAuction>) in = in && ok(c.day_start) && ok(c.gate_closure);
        if constexpr (std::is_same_v<T, cpx::AuctionBid>)
          in = in && ok(c.day_start) && ok(c.constraints.window_start) && ok(c.constraints.window_end);
        if constexpr (requires { c.day_start; }) in = in && ok(c.day_start);
        return in;
      },
      command);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view record(reinterpret_cast<const char*>(data), size);
  auto decoded = cpx::persistence::decode_command(record);
  if (!decoded) {
    const cpx::Error& e = decoded.error();
    if ((e.code != "journal_version" && e.code != "journal_corrupt") || e.text.empty())
      cpx::fuzz::fail("refusal with code '%s' and text '%s'", e.code.c_str(), e.text.c_str());
    return 0;
  }
  std::string first;
  cpx::persistence::encode_command(*decoded, first);
  auto again = cpx::persistence::decode_command(first);
  if (!again) {
    cpx::fuzz::fail("the re-encoding of record %s does not decode: %s", cpx::fuzz::hex(record).c_str(),
                    again.error().text.c_str());
  }
  if (again->index() != decoded->index()) cpx::fuzz::fail("the command kind changed in the round trip");
  std::string second;
  cpx::persistence::encode_command(*again, second);
  if (second != first) {
    cpx::fuzz::fail("record %s re-encodes as\n  %s\nthen as\n  %s", cpx::fuzz::hex(record).c_str(),
                    cpx::fuzz::hex(first).c_str(), cpx::fuzz::hex(second).c_str());
  }

  if (!times_in_range(*decoded)) return 0;
  cpx::fuzz::DemoMarket& m = cpx::fuzz::DemoMarket::get();
  cpx::EventListener quiet;
  cpx::persistence::Exchange exchange(quiet, cpx::fuzz::DemoMarket::config());
  if (auto ok = exchange.restore(m.snapshot); !ok) cpx::fuzz::fail("the demo snapshot does not restore: %s", ok.error().text.c_str());
  exchange.apply(*decoded);
  std::string why;
  if (!exchange.check(why)) cpx::fuzz::fail("after record %s: %s", cpx::fuzz::hex(record).c_str(), why.c_str());
  if (exchange.engine().route_plan_mismatches() != 0) cpx::fuzz::fail("a routed child met an ask its plan did not name");
  return 0;
}
