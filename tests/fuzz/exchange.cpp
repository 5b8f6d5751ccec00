// libFuzzer target: the whole deterministic exchange (persistence/exchange.hpp: engine + settlement +
// ledger). The input is a program of commands over a small fixed market (exchange_program.hpp: three
// regions linked by a carrier, three chip classes, eight instruments, sellers with capacity, buyers with
// cash, a revenue-sharing agreement and an open day-ahead auction); time only moves forward. Commands:
// new orders of every type, cancels, replaces, mass cancels, deposits, withdrawals, delivery reports,
// disputes and their resolution, time passing, routed orders, halts, reference prices, capacity, fees,
// revenue shares, listings with odd rules, auction offers, bids, cancels and clearings (a result built from
// the frozen input, which the engine checks), with now and then a raw value at the edge of its range.
// Properties, beyond "no crash, leak or UB":
//  - after EVERY command Exchange::check() holds (ledger balanced and within its flags, engine credit =
//    ledger cash + unsettled, escrow = unsettled amounts, cash + escrow + fees = bank) and no routed child
//    met an ask its plan did not name; the failing command and the sentence are printed;
//  - every command survives the journal round trip;
//  - the exchange restored from its snapshot has the same state hash, and after a month more of time
//    (every expiry and payout) both are still equal and consistent.
// CPX_FUZZ_TRACE=1 prints each command and what it did (for writing seeds: cpx-fuzz-exchange INPUT).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "exchange.hpp"
#include "exchange_program.hpp"
#include "fuzz_common.hpp"

using namespace cpx;

namespace {

void check(const persistence::Exchange& ex, size_t step, const Command& c) {
  std::string why;
  if (!ex.check(why)) {
    fuzz::fail("after command %zu (%s): %s\n  %s", step, std::string(to_string(kind_of(c))).c_str(), why.c_str(),
               fuzz::describe(c).c_str());
  }
  if (ex.engine().route_plan_mismatches() != 0)
    fuzz::fail("after command %zu (%s): a routed child met an ask its plan did not name", step,
               std::string(to_string(kind_of(c))).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ProgramMarket& market = fuzz::ProgramMarket::get();
  fuzz::KnownOrders known;
  persistence::Exchange ex(known, fuzz::ProgramMarket::config());
  if (auto ok = ex.restore(market.snapshot); !ok) fuzz::fail("the market snapshot does not restore: %s", ok.error().text.c_str());
  known.ids = market.open_orders;

  fuzz::ProgramReader program(data, size);
  fuzz::ProgramState state{ex.engine().now()};
  size_t step = 0;
  static const bool trace = std::getenv("CPX_FUZZ_TRACE") != nullptr;  // prints the program as it runs
  while (!program.empty() && step < fuzz::kMaxProgramCommands) {
    const Command c = fuzz::next_command(program, state, ex, known);
    fuzz::check_journal_round_trip(c, "exchange program");
    ex.apply(c);
    check(ex, step, c);
    if (trace) {
      std::fprintf(stderr, "%3zu %s -> %s, contracts %zu, open orders %zu\n", step, fuzz::describe(c).c_str(),
                   known.last.c_str(), ex.contract_count(), ex.engine().open_order_count());
    }
    ++step;
  }

  // The snapshot is the whole state: restored, it hashes the same and goes on the same.
  EventListener quiet;
  persistence::Exchange copy(quiet, fuzz::ProgramMarket::config());
  if (auto ok = copy.restore(ex.snapshot()); !ok) fuzz::fail("the exchange's own snapshot does not restore: %s", ok.error().text.c_str());
  if (copy.state_hash() != ex.state_hash()) fuzz::fail("the restored exchange hashes differently");
  const Command later = AdvanceTime{ex.engine().now() + 31 * kNanosPerDay};
  ex.apply(later);
  copy.apply(later);
  check(ex, step, later);
  check(copy, step, later);
  if (copy.state_hash() != ex.state_hash()) fuzz::fail("the restored exchange and the original differ a month later");
  return 0;
}
