// cpx-fuzz-seeds DIR: writes the seed corpora of the fuzz targets into DIR/<target>/ (tests/fuzz/ in the
// repository), each file named by a hash of its bytes, from the project's own material:
//   json_request   every request of tests/data/*.jsonl, config/demo_day.jsonl and docs/API.md
//   journal_codec  the journal records of those files replayed (as cpx-replay does), the auction's clearing
//                  (solved here) included
//   auction_file   the day tests/data/auction_day.jsonl exports at its gate, with and without routes
//   ws_frames      client frame streams: requests as masked text frames, fragments with control frames
//                  between them, every length encoding, close codes, and the framing errors
//   exchange       programs (exchange_program.hpp): a trade delivered, disputed and paid out; routed orders
//                  over three books; an auction day cleared and delivered; order management; random ones
// The example day of `cpx-auction example` is added to auction_file/ by hand (cpx-auction is not built
// here): build/bin/cpx-auction example --out tests/fuzz/auction_file/example_day.json
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command_codec.hpp"
#include "cpx/auction_solver.hpp"
#include "cpx/auction_summary.hpp"
#include "exchange.hpp"
#include "exchange_program.hpp"
#include "json/auction_file.hpp"
#include "json/client_order_ids.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/event_fanout.hpp"

namespace fs = std::filesystem;
using namespace cpx;

namespace {

std::string source(const std::string& path) { return std::string(CPX_SOURCE_DIR) + "/" + path; }

class Corpus {
 public:
  Corpus(const fs::path& dir) : dir_(dir) { fs::create_directories(dir_); }
  void add(const std::string& bytes, const std::string& prefix = "seed") {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
    char name[64];
    std::snprintf(name, sizeof name, "%s-%016llx", prefix.c_str(), static_cast<unsigned long long>(h));
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    ++count_;
  }
  size_t count() const { return count_; }

 private:
  fs::path dir_;
  size_t count_ = 0;
};

std::vector<std::string> request_lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(fuzz::read_text_file(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line);
  }
  return out;
}

// Replays a request file through the decoder into an exchange (reference data first, as cpx-replay),
// giving every request line and every journal record; run_auction is solved here, export_auction gives
// the day file.
void replay(const std::string& path, Corpus& json, Corpus& journal, Corpus& days) {
  api::EventFanout fanout;
  api::ClientOrderIds ids;
  fanout.add(&ids);
  persistence::Exchange ex(fanout);
  api::EngineNames names(ex.engine());
  api::CommandDecoder decoder(names, &ids);
  auto reference = api::load_reference_requests(api::default_config_dir());
  if (!reference) fuzz::fail("%s", reference.error().text.c_str());
  auto record = [&](const Command& c) {
    std::string bytes;
    persistence::encode_command(c, bytes);
    journal.add(bytes, std::string(to_string(kind_of(c))));
  };
  for (const std::string& r : *reference) {
    auto c = decoder.decode(r, ex.engine().now());
    if (!c) fuzz::fail("reference request refused: %s", r.c_str());
    ex.apply(*c);
  }
  for (const std::string& line : request_lines(path)) {
    json.add(line, "request");
    const nlohmann::json r = nlohmann::json::parse(line, nullptr, false);
    const std::string cmd = r.is_object() && r.contains("cmd") && r["cmd"].is_string() ? r["cmd"].get<std::string>() : "";
    if (cmd == "run_auction" || cmd == "export_auction") {
      auto start = api::parse_auction_day(r["day"].get<std::string>());
      const AuctionDay* day = start ? ex.engine().auction(*start) : nullptr;
      if (!day || day->state == AuctionState::Open) continue;
      if (cmd == "export_auction") {
        auto file = api::auction_day_file(ex.engine(), *day);
        if (!file) continue;
        days.add(api::write_auction_day(*file), "exported");
        api::AuctionDayFile bare = *file;
        for (auto& b : bare.bids) {
          b.routes.reset();
          b.reserve.reset();
        }
        bare.gate_closure.reset();
        days.add(api::write_auction_day(bare), "no-routes");
        continue;
      }
      if (day->state != AuctionState::Closed) continue;
      ClearAuction c;
      c.ts = ex.engine().now();
      c.day_start = day->day_start;
      AuctionSolverStats stats;
      auto result = solve_auction(day->input, AuctionSolverOptions{}, &stats);
      if (!result) fuzz::fail("the auction of %s does not solve: %s", path.c_str(), result.error().text.c_str());
      c.result = *result;
      c.summary = clearing_summary(stats, false);
      record(c);
      ex.apply(c);
      continue;
    }
    auto c = decoder.decode(line, ex.engine().now());
    if (!c) continue;
    record(*c);
    ex.apply(*c);
  }
  std::string why;
  if (!ex.check(why)) fuzz::fail("%s does not check: %s", path.c_str(), why.c_str());
}

// ---- WebSocket frames

std::string frame(uint8_t opcode, const std::string& payload, bool fin = true, uint32_t key = 0x37fa213d, bool masked = true,
                  uint8_t rsv = 0, int force_len_bytes = 0) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | rsv | opcode);
  const uint8_t m = masked ? 0x80 : 0;
  const uint64_t n = payload.size();
  if ((n < 126 && force_len_bytes == 0) || force_len_bytes == 1) {
    f += static_cast<char>(m | n);
  } else if ((n < 65536 && force_len_bytes == 0) || force_len_bytes == 2) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n);
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 0; i < 8; ++i) f += static_cast<char>(n >> (56 - 8 * i));
  }
  const uint8_t k[4] = {static_cast<uint8_t>(key >> 24), static_cast<uint8_t>(key >> 16), static_cast<uint8_t>(key >> 8),
                        static_cast<uint8_t>(key)};
  if (masked) f.append(reinterpret_cast<const char*>(k), 4);
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ (masked ? k[i & 3] : 0));
  return f;
}

void ws_seeds(Corpus& ws) {
  const std::string order =
      R"({"cmd":"new_order","cl_ord_id":"b1","symbol":"NM.H100.D.2026-11-27","side":"buy","price":"17.80","qty":80,"id":3})";
  const std::string login =
      R"({"op":"login","key":"key-bjai","ts":1795659300000000000,"nonce":"n-0001","sig":"9ff4f123bd1fc5abd5131ba6ebdf2e355d7109ed714e8d87afe1001afb3936d7","id":1})";
  auto close = [](uint16_t code, const std::string& reason) {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code);
    return p + reason;
  };
  // control byte: limit index (low 3 bits; 6 = 64 KiB) and the read cuts (high bits)
  const char big = 6, small = 4 /* 1000 bytes */, tiny = 2 /* 125 bytes */;
  ws.add(std::string(1, big) + frame(1, login) + frame(1, order), "text");
  ws.add(std::string(1, big | 0x28) + frame(1, order.substr(0, 40), false) + frame(9, "ping") + frame(0, order.substr(40, 30), false) +
             frame(10, "") + frame(0, order.substr(70), true),
         "fragmented");
  ws.add(std::string(1, big) + frame(2, std::string("\x00\x01\x02\xff", 4)) + frame(8, close(1000, "bye")), "binary-close");
  ws.add(std::string(1, big | 0x50) + frame(1, std::string(300, 'a')) + frame(1, std::string(126, 'b')) + frame(9, std::string(125, 'p')),
         "lengths");
  ws.add(std::string(1, small) + frame(1, std::string(2000, 'x'), true, 0x01020304, true, 0, 3), "too-big-64bit-length");
  ws.add(std::string(1, tiny) + frame(1, std::string(100, 'y'), false) + frame(0, std::string(100, 'z')), "too-big-fragments");
  ws.add(std::string(1, big) + frame(1, order, true, 0, false), "unmasked");
  ws.add(std::string(1, big) + frame(1, order, true, 0x11223344, true, 0x40), "rsv");
  ws.add(std::string(1, big) + frame(0, "lost continuation"), "continuation-first");
  ws.add(std::string(1, big) + frame(1, "a", false) + frame(1, "b"), "text-inside-message");
  ws.add(std::string(1, big) + frame(9, "x", false), "fragmented-ping");
  ws.add(std::string(1, big) + frame(9, std::string(126, 'p')), "long-ping");
  ws.add(std::string(1, big) + frame(3, "reserved opcode"), "opcode-3");
  ws.add(std::string(1, big) + frame(8, close(999, "")) + frame(8, "x") + frame(8, close(4999, "ok")), "close-codes");
  ws.add(std::string(1, big) + frame(1, "short", true, 0x55aa55aa, true, 0, 2), "long-form-short");
  std::string msb = frame(1, "abc", true, 0x01010101, true, 0, 3);
  msb[2] = static_cast<char>(0x80);  // the 64-bit length with its top bit set
  ws.add(std::string(1, big) + msb, "length-msb");
}

// ---- exchange programs (exchange_program.hpp's layout: op, time, arguments)

using Program = std::vector<uint8_t>;
void cmd(Program& p, std::initializer_list<int> bytes) {
  for (int b : bytes) p.push_back(static_cast<uint8_t>(b));
}

void exchange_seeds(Corpus& ex) {
  namespace f = fuzz;
  // Price table index 0 = 18.00; quantity index 3 = 4 devices; time index 2 = 1 s, 5 = 1 h, 7 = 27 h.
  {  // A trade, delivered in part, disputed, resolved; a second one paid out after the dispute window.
    Program p;
    cmd(p, {f::kOpNewOrder, 2, /*flags: sell*/ 1, /*kind*/ 0, /*who: S1*/ 0, /*NM.H100.D.2026-12-01*/ 0, 0, 3});
    cmd(p, {f::kOpNewOrder, 2, 0, 0, /*B1*/ 0, 0, 0, 3});
    cmd(p, {f::kOpNewOrder, 2, 1, 0, /*S2*/ 1, 0, 1, 2});
    cmd(p, {f::kOpNewOrder, 2, 0, 0, /*B2*/ 1, 0, 1, 2});
    cmd(p, {f::kOpAdvanceTime, 7, 90});                // past the delivery window
    cmd(p, {f::kOpDeliveryReport, 2, 0, 0, 200});      // contract 0: part delivered
    cmd(p, {f::kOpDispute, 2, 0, 0, 0});
    cmd(p, {f::kOpResolveDispute, 2, 0, 0, 220});
    cmd(p, {f::kOpDeliveryReport, 2, 1, 0, 0});        // contract 1: in full
    cmd(p, {f::kOpAdvanceTime, 6, 0});                 // the dispute window closes: payout
    cmd(p, {f::kOpWithdraw, 2, 0, /*S1*/ 1, /*amount index 1*/ 1});
    ex.add(std::string(p.begin(), p.end()), "settlement");
  }
  {  // Asks in three regions' books, then routed orders from JJJ (IOC and FOK, data to move).
    Program p;
    cmd(p, {f::kOpNewOrder, 2, 1, 0, 0, /*NM*/ 0, 0, 6});
    cmd(p, {f::kOpNewOrder, 2, 1, 0, 1, /*JJJ*/ 1, 1, 6});
    cmd(p, {f::kOpNewOrder, 2, 1, 0, 2, /*GZ*/ 2, 2, 6});
    cmd(p, {f::kOpNewOrder, 2, 1, 0, 3, /*GZ*/ 2, 4, 4});
    // participant byte < 220 then the buyer; tif; classes H100; regions any, origin JJJ (1 << 3); flags; data, scu, limit; window
    cmd(p, {f::kOpRoutedOrder, 2, 0, 0, /*IOC*/ 0, 1, 1 << 3, 0, /*100 GB*/ 3, /*9890 SCU*/ 2, /*0.025*/ 3, 0});
    cmd(p, {f::kOpRoutedOrder, 2, 0, 1, /*FOK*/ 1, 1, (1 << 3) | (2 << 5), 8, 4, 8, 4, 0});
    cmd(p, {f::kOpRoutedOrder, 2, 0, 2, 0, 3, 0, 1, 0, 0, 5, 0});
    cmd(p, {f::kOpAdvanceTime, 7, 90});
    cmd(p, {f::kOpDeliveryReport, 2, 0, 0, 0});
    cmd(p, {f::kOpAdvanceTime, 6, 0});
    ex.add(std::string(p.begin(), p.end()), "routed");
  }
  {  // The auction of 2026-12-01 (gate 2026-11-30 12:00): offers, bids, the gate, a clearing, delivery.
    Program p;
    for (int h : {10, 11, 12}) {
      cmd(p, {f::kOpAuctionOffer, 2, /*S1*/ 0, /*NM x H100*/ 0, /*day 12-01*/ 1, h + 1, /*8*/ 5, /*18.00*/ 0});
      cmd(p, {f::kOpAuctionOffer, 2, /*S2*/ 1, /*JJJ x H100*/ 1, 1, h + 1, 5, /*17.00*/ 6});
    }
    // buyer, day, first hour + 1, hours, min ratio index (7: 10000), classes, regions/origin, flags, data, scu, limit
    cmd(p, {f::kOpAuctionBid, 2, /*B1*/ 0, 1, 11, 2, 7, 1, 0, 0, 0, /*989*/ 0, /*0.025*/ 3});
    cmd(p, {f::kOpAuctionBid, 2, /*B2*/ 1, 1, 11, 3, 6, 1, 1 << 3, 0, 2, /*1978*/ 1, /*0.05*/ 4});
    cmd(p, {f::kOpAuctionBid, 2, /*X*/ 2, 1, 13, 1, 7, 1, 0, 0, 0, 0, /*0*/ 6});
    cmd(p, {f::kOpAuctionCancelOrOpen, 2, /*cancel*/ 0, 1, /*B1's bid*/ 4});
    cmd(p, {f::kOpAdvanceTime, 5, 30});  // past the gate: one block (B2's) and six offers frozen
    // actor OPS, not cancel; day 12-01; no congestion; the block: all its devices on its first route; extra
    cmd(p, {f::kOpClearAuction, 2, 0, 1, 0, 3, 0});
    cmd(p, {f::kOpAdvanceTime, 7, 200});
    cmd(p, {f::kOpDeliveryReport, 2, 0, 0, 0});
    cmd(p, {f::kOpDeliveryReport, 2, 1, 0, 100});
    cmd(p, {f::kOpAdvanceTime, 6, 0});
    ex.add(std::string(p.begin(), p.end()), "auction");
  }
  {  // Order management: GTD, post-only, market and FOK orders, replaces, cancels, mass cancel, halts.
    Program p;
    cmd(p, {f::kOpNewOrder, 2, 1 | 2, /*GTD*/ 2 << 3, 0, 0, 1, 4, /*expiry index*/ 4});
    cmd(p, {f::kOpNewOrder, 2, 1, 0, 1, 0, 2, 4});
    cmd(p, {f::kOpNewOrder, 2, 0, /*market IOC*/ 7 | (3 << 3), 0, 0, 2});
    cmd(p, {f::kOpNewOrder, 2, 0, /*FOK*/ 4 << 3, 1, 0, 7, 10});
    cmd(p, {f::kOpNewOrder, 2, 0 | 2, 0, 2, 0, 4, 4});
    cmd(p, {f::kOpReplace, 2, 0, 0, /*price and qty*/ 3, 1, 5});
    cmd(p, {f::kOpReplace, 2, 1, 0, 4});
    cmd(p, {f::kOpCancel, 2, 2, 0});
    cmd(p, {f::kOpHaltResume, 2, 0, 0});
    cmd(p, {f::kOpNewOrder, 2, 1, 0, 0, 0, 0, 3});
    cmd(p, {f::kOpHaltResume, 2, 1, 0});
    cmd(p, {f::kOpReferencePrice, 2, 0, 9});
    cmd(p, {f::kOpNewOrder, 2, 1, /*STP decrement*/ 3 << 6, /*X*/ 3, 0, 0, 6});
    cmd(p, {f::kOpNewOrder, 2, 0, 3 << 6, /*X*/ 2, 0, 0, 3});
    cmd(p, {f::kOpMassCancel, 2, /*S1*/ 1, 0, 0});
    cmd(p, {f::kOpMassCancel, 2, /*OPS*/ 0, 200, 200, 0});
    cmd(p, {f::kOpListInstrument, 2, 0, 0, 0, 0, 0});
    cmd(p, {f::kOpNewOrder, 2, 1, 0, 0, /*the new listing*/ 8, 0, 3});
    cmd(p, {f::kOpCapacity, 2, 0, 0, 2, 1});
    cmd(p, {f::kOpFeesOrShares, 2, 1, 3, 4});
    cmd(p, {f::kOpFeesOrShares, 2, 0x10, 6});
    cmd(p, {f::kOpDeposit, 2, 0, 4, 8});
    ex.add(std::string(p.begin(), p.end()), "orders");
  }
  std::mt19937_64 rng(20261201);
  for (int i = 0; i < 8; ++i) {
    std::string bytes(200 + rng() % 800, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    ex.add(bytes, "random");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cpx-fuzz-seeds DIR   (writes DIR/<target>/ seed files; DIR is normally tests/fuzz)\n");
    return 2;
  }
  const fs::path dir = argv[1];
  Corpus json(dir / "json_request"), journal(dir / "journal_codec"), days(dir / "auction_file"), ws(dir / "ws_frames"),
      ex(dir / "exchange");
  for (const char* file : {"tests/data/replay_demo.jsonl", "config/demo_day.jsonl", "tests/data/auction_day.jsonl"})
    replay(source(file), json, journal, days);
  std::istringstream api(fuzz::read_text_file(source("docs/API.md")));
  for (std::string line; std::getline(api, line);) {
    const size_t open = line.find("{\""), close = line.rfind('}');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    const std::string text = line.substr(open, close - open + 1);
    const nlohmann::json r = nlohmann::json::parse(text, nullptr, false);
    if (r.is_object() && r.contains("cmd")) json.add(text, "api");
  }
  // A small day by hand: two regions, one link, one offer, two bids (one with its route, one without).
  days.add(R"({"format":"cpx-auction-day/1","day":"2026-12-02","gate_closure":"2026-12-01T12:00:00+08:00","fee_bps":5,
"participants":[{"code":"CAR","kind":"carrier"},{"code":"SUP","kind":"cloud_vendor"},{"code":"BUY","kind":"buyer"}],
"regions":[{"code":"NM","side":"west","jurisdiction":"CN-NM","green_share":"0.45"},{"code":"JJJ","side":"east","jurisdiction":"CN-JJJ","green_share":"0.30"}],
"classes":[{"code":"H100","family":"ai","scu_per_device":989},{"code":"CPU","family":"general","scu_per_device":5}],
"links":[{"from":"JJJ","to":"NM","latency_ms":8,"capacity_gbps":400,"tariff_cny_per_gb":"0.0200","carrier":"CAR"}],
"offers":[{"id":1,"supplier":"SUP","region":"NM","class":"H100","hour":10,"devices":8,"price":"17.80"}],
"bids":[{"id":2,"buyer":"BUY","first_hour":10,"hours":1,"scu_per_hour":1978,"min_ratio":"0.5","limit_cny_per_scu_hour":"0.02500000","data_gb_per_hour":100,"classes":["H100"],"origin":"JJJ","max_latency_ms":20,"residency":["CN-NM"],"routes":[{"region":"NM","class":"H100","path":["JJJ","NM"]}]},
{"id":3,"buyer":"BUY","first_hour":0,"hours":24,"scu_per_hour":5,"limit_cny_per_scu_hour":"1","classes":["CPU"],"regions":["NM"],"origin":"NM","residency":"local"}]}
)", "small");
  ws_seeds(ws);
  exchange_seeds(ex);
  std::printf("json_request %zu, journal_codec %zu, auction_file %zu, ws_frames %zu, exchange %zu seeds\n", json.count(),
              journal.count(), days.count(), ws.count(), ex.count());
  return 0;
}
