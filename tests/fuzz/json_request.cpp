// libFuzzer target: the JSON request decoder (gateway/json/command_codec, docs/API.md) against the demo
// market of demo_market.hpp (config/ reference data, the demo day, the network, an open auction).
// One input is one request line. Properties, beyond "no crash, leak or UB":
//  - a request decoded for a gateway session (acting participant) acts for that participant only, at the
//    server's time, and never moves the clock (advance_time);
//  - every accepted command survives the journal round trip (decode_command(encode_command(c)) re-encodes
//    to the same bytes);
//  - applied to the demo market (restored from a snapshot for each input), the exchange's cross-checks
//    (ledger balanced, engine credit = ledger cash + escrow, ...) still hold, and every event it gives is
//    written (gateway/json/event_codec) as a line of valid JSON.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "demo_market.hpp"
#include "journal_round_trip.hpp"
#include "json/event_codec.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace cpx;
using fuzz::DemoMarket;

// Who a command acts as (its participant or actor); kNoParticipant for advance_time.
ParticipantId acting_party(const Command& command) {
  return std::visit(
      [](const auto& c) -> ParticipantId {
        using T = std::decay_t<decltype(c)>;
        if constexpr (requires { c.actor; }) {
          return c.actor;
        } else if constexpr (requires { c.participant; } && !std::is_same_v<T, AddParticipant>) {
          return c.participant;
        } else {
          return kNoParticipant;
        }
      },
      command);
}

void check_session_decode(const DemoMarket& m, std::string_view line, ParticipantId session, Timestamp now) {
  auto c = m.decoder->decode(line, now, session);
  if (!c) return;
  const std::string kind(to_string(kind_of(*c)));
  if (kind_of(*c) == CommandKind::AdvanceTime) fuzz::fail("a session's request moved the clock: %.*s", int(line.size()), line.data());
  if (acting_party(*c) != session) {
    fuzz::fail("a %s decoded for session participant %u acts as %u: %.*s", kind.c_str(), session, acting_party(*c),
               int(line.size()), line.data());
  }
  if (command_time(*c) != now) fuzz::fail("a session's %s carries its own time: %.*s", kind.c_str(), int(line.size()), line.data());
  fuzz::check_journal_round_trip(*c, "session request");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DemoMarket& m = DemoMarket::get();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const Timestamp now = m.exchange->engine().now();

  check_session_decode(m, line, m.buyer, now);
  check_session_decode(m, line, m.operator_, now);

  auto decoded = m.decoder->decode(line, now);
  if (!decoded) {
    if (decoded.error().text.empty()) fuzz::fail("a refusal without a sentence: %.*s", int(line.size()), line.data());
    return 0;
  }
  fuzz::check_journal_round_trip(*decoded, "operator request");

  // Applied to the demo market as it was after its setup; every event it gives is a line of valid JSON.
  std::string events;
  api::EventFanout out;  // the writer is added once the names it resolves with exist
  persistence::Exchange exchange(out, DemoMarket::config());
  if (auto ok = exchange.restore(m.snapshot); !ok) fuzz::fail("the demo snapshot does not restore: %s", ok.error().text.c_str());
  api::EngineNames names(exchange.engine());
  api::JsonEventWriter writer(names, events);
  out.add(&writer);
  exchange.apply(*decoded);
  std::string why;
  if (!exchange.check(why)) fuzz::fail("after %.*s: %s", int(line.size()), line.data(), why.c_str());
  if (exchange.engine().route_plan_mismatches() != 0) fuzz::fail("a routed child met an ask its plan did not name: %.*s", int(line.size()), line.data());
  std::istringstream lines(events);
  for (std::string event; std::getline(lines, event);) {
    const nlohmann::json parsed = nlohmann::json::parse(event, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) fuzz::fail("an event is not a JSON object: %s", event.c_str());
  }
  return 0;
}
