// libFuzzer target: the auction day file reader (gateway/json/auction_file, docs/AUCTION_FILES.md), as
// cpx-auction reads a file it is given. One input is one file. Properties, beyond "no crash, leak or UB":
//  - a refusal is an auction_file_invalid error with a sentence;
//  - a file the reader accepts gives a solver input that passes the engine's own input check
//    (engine/auction_rules.cpp check_auction_input), both from the routes in the file (when every bid has
//    them) and from routes recomputed over the file's network;
//  - the file as written back (write_auction_day) reads again, and writes to the same text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cpx/auction.hpp"
#include "fuzz_common.hpp"
#include "json/auction_file.hpp"

namespace {

void check_input(const cpx::api::AuctionDayFile& file, bool recompute, std::string_view text) {
  bool all_routes = true;
  for (const auto& b : file.bids) all_routes = all_routes && b.routes.has_value();
  auto input = cpx::api::auction_input_from_file(file, recompute);
  if (!input) {
    if (!recompute && !all_routes && input.error().code == "auction_file_invalid") return;  // routes required
    cpx::fuzz::fail("an accepted day file gives no solver input (%s routes): %s: %s\n%.*s", recompute ? "recomputed" : "its",
                    input.error().code.c_str(), input.error().text.c_str(), int(std::min<size_t>(text.size(), 4000)), text.data());
  }
  if (auto ok = cpx::check_auction_input(*input); !ok)
    cpx::fuzz::fail("the solver input of an accepted day file fails the engine's check: %s", ok.error().text.c_str());
  if (input->zones.size() != file.regions.size() * file.classes.size() || input->offers.size() != file.offers.size() ||
      input->blocks.size() != file.bids.size())
    cpx::fuzz::fail("the solver input does not have the file's zones, offers and bids");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = cpx::api::read_auction_day(text);
  if (!file) {
    if (file.error().code != "auction_file_invalid" || file.error().text.empty())
      cpx::fuzz::fail("refusal with code '%s' and text '%s'", file.error().code.c_str(), file.error().text.c_str());
    return 0;
  }
  check_input(*file, false, text);
  check_input(*file, true, text);

  const std::string written = cpx::api::write_auction_day(*file);
  auto again = cpx::api::read_auction_day(written);
  if (!again) cpx::fuzz::fail("a day file as written does not read back: %s\n%s", again.error().text.c_str(), written.c_str());
  const std::string rewritten = cpx::api::write_auction_day(*again);
  if (rewritten != written) cpx::fuzz::fail("a day file writes differently once read back:\n%s\n---\n%s", written.c_str(), rewritten.c_str());
  return 0;
}
