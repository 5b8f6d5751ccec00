#pragma once
// The market the JSON and journal targets work against, built once per process through the JSON decoder
// as cpx-replay builds it: config/'s regions and chip classes, config/demo_day.jsonl up to its first
// advance_time (participants, instruments, capacity, cash, resting orders and a few trades: the books are
// open), config/network.json's carriers and links, and an open day-ahead auction. Each input starts from
// its snapshot, so inputs do not depend on each other.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "exchange.hpp"
#include "fuzz_common.hpp"
#include "journal_round_trip.hpp"
#include "json/client_order_ids.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/event_fanout.hpp"

namespace cpx::fuzz {

struct DemoMarket {
  api::EventFanout fanout;
  api::ClientOrderIds ids;
  std::unique_ptr<persistence::Exchange> exchange;
  std::unique_ptr<api::EngineNames> names;
  std::unique_ptr<api::CommandDecoder> decoder;
  std::string snapshot;
  ParticipantId buyer = kNoParticipant;      // a trading session's participant (BJAI)
  ParticipantId operator_ = kNoParticipant;  // an operator's session (OPS1)

  static persistence::ExchangeConfig config() {
    return persistence::ExchangeConfig{.engine = EngineConfig{1024, 64}, .history = {}};
  }

  DemoMarket() {
    fanout.add(&ids);
    exchange = std::make_unique<persistence::Exchange>(fanout, config());
    names = std::make_unique<api::EngineNames>(exchange->engine());
    decoder = std::make_unique<api::CommandDecoder>(*names, &ids);
    const std::string dir = api::default_config_dir();
    auto reference = api::load_reference_requests(dir);
    if (!reference) fail("reference data: %s", reference.error().text.c_str());
    std::vector<std::string> lines = *reference;
    std::istringstream demo(read_text_file(dir + "/demo_day.jsonl"));
    for (std::string line; std::getline(demo, line);) {
      if (line.empty() || line[0] == '#') continue;
      if (line.find("\"advance_time\"") != std::string::npos) break;
      lines.push_back(line);
    }
    auto network = api::load_network_requests(dir);  // CTNET is in the demo already: that line is refused
    if (!network) fail("network: %s", network.error().text.c_str());
    lines.insert(lines.end(), network->begin(), network->end());
    lines.push_back(R"({"cmd":"open_auction","participant":"OPS1","day":"2026-12-05T00:00:00+08:00","gate_closure":"2026-12-04T12:00:00+08:00"})");
    for (const std::string& line : lines) {
      auto c = decoder->decode(line, exchange->engine().now());
      if (c) exchange->apply(*c);
    }
    std::string why;
    if (!exchange->check(why)) fail("the demo market does not check: %s", why.c_str());
    buyer = exchange->engine().find_participant("BJAI");
    operator_ = exchange->engine().find_participant("OPS1");
    if (buyer == kNoParticipant || operator_ == kNoParticipant) fail("the demo market has no BJAI or OPS1");
    if (exchange->engine().links().empty() || exchange->engine().auction_days().empty()) fail("the demo market has no network or auction");
    snapshot = exchange->snapshot();
  }

  static DemoMarket& get() {
    static DemoMarket* m = new DemoMarket();  // never destroyed: nothing to order at exit
    return *m;
  }
};

}  // namespace cpx::fuzz
