// cpx-auction: the day-ahead auction offline (docs/PRODUCT.md §3.3, docs/AUCTION_FILES.md). Solves a day file
// ("cpx-auction-day/1", as cpx-replay's export_auction or the server writes it) into result files, checks
// a result against a day file and re-derives its payments, and writes a small example day.
//
// Exit codes: 0 ok, 1 refused or invalid (a bad file, a result that breaks the rules, output that cannot
// be written), 2 usage, 4 the solver failed.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cpx/auction_solver.hpp"
#include "json/auction_file.hpp"
#include "json/config_loader.hpp"
#include "cpx/version.hpp"

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr int kOk = 0, kRefused = 1, kUsage = 2, kSolverFailed = 4;

const char* const kMainUsage =
    "usage: cpx-auction COMMAND [OPTIONS]\n"
    "  The day-ahead auction offline: solve a day file, check a result, write an example day.\n"
    "commands:\n"
    "  solve DAYFILE --out DIR [--recompute-routes] [--time-limit S] [--gap G]\n"
    "  check DAYFILE RESULT.json [--out DIR] [--recompute-routes]\n"
    "  example --out FILE [--day YYYY-MM-DD] [--config DIR]\n"
    "  COMMAND --help   for the options of one command\n"
    "exit codes: 0 ok, 1 refused or invalid input, 2 usage, 4 solver failure\n"
    "The file formats are in docs/AUCTION_FILES.md.\n";

const char* const kSolveUsage =
    "usage: cpx-auction solve DAYFILE --out DIR [--recompute-routes] [--time-limit S] [--gap G]\n"
    "  Solves the auction day in DAYFILE (format cpx-auction-day/1) and writes into DIR (created when missing):\n"
    "    result.json      everything: solver statistics, prices, congestion, acceptances, allocations,\n"
    "                     contracts and balances\n"
    "    prices.csv       per hour, region and class: price per SCU-hour and per device-hour, devices traded\n"
    "    acceptances.csv  per offer: devices offered and accepted, offer and clearing price\n"
    "    allocations.csv  per bid and zone: devices and SCU per hour; a row per rejected bid\n"
    "    flows.csv        per link and hour: flow, capacity, congestion price, rent, carrier receipts\n"
    "    payments.csv     per contract: hour, zone, buyer, seller, devices, price, notional, fees, transport\n"
    "    balances.csv     per participant: what it pays and receives as buyer, seller and carrier; exchange fees\n"
    "  Prints one JSON line: the summary and the solver's statistics.\n"
    "  --recompute-routes  ignore the routes frozen in the file; recompute every bid's routes from its\n"
    "                      constraints over the file's network (what-if after editing links or constraints)\n"
    "  --time-limit S      elapsed seconds for all MIP solves together (default 600); a search cut short is\n"
    "                      reported with time_limited true (and may then differ from run to run)\n"
    "  --gap G             relative MIP gap at which a solve counts as optimal (default 1e-4)\n"
    "exit codes: 0 solved and written, 1 invalid day file or output not writable, 2 usage, 4 solver failure\n";

const char* const kCheckUsage =
    "usage: cpx-auction check DAYFILE RESULT.json [--out DIR] [--recompute-routes]\n"
    "  Reads the result in RESULT.json (prices, congestion, acceptances, allocations) against the day file,\n"
    "  holds it to every auction rule in integers (check_auction_result), re-derives the contracts and\n"
    "  balances and compares them with those recorded in RESULT.json. Prints one JSON line.\n"
    "  --out DIR           also write the re-derived result files into DIR\n"
    "  --recompute-routes  the result was solved with recomputed routes (also taken from RESULT.json's\n"
    "                      \"solver\".\"routes\" when it says \"recomputed\")\n"
    "exit codes: 0 the result holds, 1 it does not (or a file is invalid), 2 usage\n";

const char* const kExampleUsage =
    "usage: cpx-auction example --out FILE [--day YYYY-MM-DD] [--config DIR]\n"
    "  Writes a small, realistic auction day: the regions, chip classes and network of the config\n"
    "  directory (default: the project's config/), suppliers' hourly offers in four hubs, five block bids\n"
    "  (one curtailed by a congested link, one too dear to clear), routes frozen as the engine would.\n"
    "  --day YYYY-MM-DD  the delivery day (default 2026-12-02)\n"
    "exit codes: 0 written, 1 config unreadable or FILE not writable, 2 usage\n";

// The reason, the usage line of the command and where the rest is.
int usage_error(const char* usage, const std::string& why) {
  const std::string text = usage;
  const std::string first = text.substr(0, text.find('\n'));
  const std::string cmd = first.substr(0, first.find(' ', std::string("usage: cpx-auction ").size()));
  std::fprintf(stderr, "cpx-auction: %s\n%s\n(%s --help for the options)\n", why.c_str(), first.c_str(),
               cmd.substr(std::string("usage: ").size()).c_str());
  return kUsage;
}

int refused(const std::string& why) {
  std::fprintf(stderr, "cpx-auction: %s\n", why.c_str());
  return kRefused;
}

bool read_text(const std::string& path, std::string& out, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  out = buf.str();
  return true;
}

bool parse_double(const char* text, double& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text, &end);
  return end != text && *end == '\0' && errno == 0;
}

const char* kFileHint = " (the format is in docs/AUCTION_FILES.md; `cpx-auction example --out FILE` writes a valid day)";

// ---- solve

int solve(int argc, char** argv) {
  std::string day_path, out_dir;
  bool recompute = false;
  cpx::AuctionSolverOptions options;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--help" || a == "-h") {
      std::fputs(kSolveUsage, stdout);
      return kOk;
    } else if (a == "--out") {
      const char* v = value();
      if (!v) return usage_error(kSolveUsage, "--out needs a directory");
      out_dir = v;
    } else if (a == "--recompute-routes") {
      recompute = true;
    } else if (a == "--time-limit") {
      const char* v = value();
      if (!v || !parse_double(v, options.time_limit_s) || !(options.time_limit_s > 0))
        return usage_error(kSolveUsage, "--time-limit needs a positive number of seconds, like 60");
    } else if (a == "--gap") {
      const char* v = value();
      if (!v || !parse_double(v, options.relative_gap) || !(options.relative_gap >= 0) || options.relative_gap >= 1)
        return usage_error(kSolveUsage, "--gap needs a relative gap from 0 to below 1, like 1e-4");
    } else if (!a.empty() && a[0] == '-') {
      return usage_error(kSolveUsage, "unknown option '" + a + "'");
    } else if (day_path.empty()) {
      day_path = a;
    } else {
      return usage_error(kSolveUsage, "one day file only ('" + a + "' is a second)");
    }
  }
  if (day_path.empty()) return usage_error(kSolveUsage, "give the day file to solve");
  if (out_dir.empty()) return usage_error(kSolveUsage, "give --out DIR: where the result files go");

  auto file = cpx::api::load_auction_day(day_path);
  if (!file) return refused(file.error().text + kFileHint);
  auto input = cpx::api::auction_input_from_file(*file, recompute);
  if (!input) return refused(day_path + ": " + input.error().text);
  const std::vector<uint32_t> other = recompute ? std::vector<uint32_t>{} : cpx::api::bids_with_other_routes(*file);

  cpx::AuctionSolverStats stats;
  auto result = cpx::solve_auction(*input, options, &stats);
  if (!result) {
    std::fprintf(stderr,
                 "cpx-auction: the solver failed on %s: %s (nothing was written; a longer --time-limit or a larger "
                 "--gap may help; the input passed every check)\n",
                 day_path.c_str(), result.error().text.c_str());
    return kSolverFailed;
  }
  ordered_json solver = cpx::api::auction_stats_json(stats, *input);
  solver["routes"] = recompute ? "recomputed" : "file";
  solver["time_limit_s"] = options.time_limit_s;
  solver["relative_gap"] = options.relative_gap;
  // result.json keeps no times: the same day file gives the same files, byte for byte (stdout has them).
  ordered_json solver_in_file = solver;
  for (const char* k : {"seconds_first_mip", "seconds_pricing", "seconds_schedule", "seconds_total"}) solver_in_file.erase(k);
  if (auto ok = cpx::api::write_auction_outputs(out_dir, *file, *input, *result, &solver_in_file); !ok)
    return refused(ok.error().text);

  const auto pieces = cpx::auction_pieces(*input, *result);
  const cpx::api::AuctionMoney money = cpx::api::auction_money(*file, *input, pieces);
  ordered_json other_ids = ordered_json::array();
  for (uint32_t j : other) other_ids.push_back(file->bids[j].id);
  ordered_json summary{{"ok", true},
                       {"day", cpx::api::format_auction_day(file->day_start)},
                       {"out", out_dir},
                       {"offers", input->offers.size()},
                       {"bids", input->blocks.size()},
                       {"contracts", pieces.size()},
                       {"buyers_pay", cpx::format_fixed(money.buyers_pay)},
                       {"sellers_receive", cpx::format_fixed(money.sellers_receive)},
                       {"carriers_receive", cpx::format_fixed(money.carriers_receive)},
                       {"exchange_fees", cpx::format_fixed(money.exchange_fees)},
                       {"balanced", money.balanced()},
                       {"bids_with_other_routes", other_ids},
                       {"solver", solver}};
  std::printf("%s\n", summary.dump().c_str());
  if (!other.empty()) {
    std::fprintf(stderr,
                 "cpx-auction: note: %zu bid(s) have routes in the file that their constraints would not give over "
                 "the file's network (solved with the file's routes; --recompute-routes solves with the others)\n",
                 other.size());
  }
  return kOk;
}

// ---- check

int check(int argc, char** argv) {
  std::vector<std::string> paths;
  std::string out_dir;
  bool recompute = false;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kCheckUsage, stdout);
      return kOk;
    } else if (a == "--out") {
      if (i + 1 >= argc) return usage_error(kCheckUsage, "--out needs a directory");
      out_dir = argv[++i];
    } else if (a == "--recompute-routes") {
      recompute = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error(kCheckUsage, "unknown option '" + a + "'");
    } else {
      paths.push_back(a);
    }
  }
  if (paths.size() != 2) return usage_error(kCheckUsage, "give the day file and the result.json to check");
  const std::string& day_path = paths[0];
  const std::string& result_path = paths[1];
  auto file = cpx::api::load_auction_day(day_path);
  if (!file) return refused(file.error().text + kFileHint);
  std::string text, why;
  if (!read_text(result_path, text, why)) return refused(why);
  // A result solved with recomputed routes says so; it must be checked against the same input.
  {
    const json doc = json::parse(text, nullptr, false);
    if (!doc.is_discarded() && doc.is_object() && doc.contains("solver") && doc["solver"].is_object() &&
        doc["solver"].contains("routes") && doc["solver"]["routes"] == "recomputed")
      recompute = true;
  }
  auto input = cpx::api::auction_input_from_file(*file, recompute);
  if (!input) return refused(day_path + ": " + input.error().text);
  auto result = cpx::api::read_auction_result(text, *file, *input);
  if (!result) return refused(result_path + ": " + result.error().text);
  if (auto ok = cpx::check_auction_result(*input, *result); !ok)
    return refused(result_path + " breaks the auction rules: " + ok.error().text);
  if (auto ok = cpx::api::compare_recorded_payments(text, *file, *input, *result); !ok)
    return refused(result_path + ": the recorded payments do not follow from the result: " + ok.error().text);
  if (!out_dir.empty()) {
    if (auto ok = cpx::api::write_auction_outputs(out_dir, *file, *input, *result, nullptr); !ok)
      return refused(ok.error().text);
  }
  const auto pieces = cpx::auction_pieces(*input, *result);
  const cpx::api::AuctionMoney money = cpx::api::auction_money(*file, *input, pieces);
  ordered_json summary{{"ok", true},
                       {"day", cpx::api::format_auction_day(file->day_start)},
                       {"result", result_path},
                       {"routes", recompute ? "recomputed" : "file"},
                       {"rules", "hold"},
                       {"payments", "match"},
                       {"contracts", pieces.size()},
                       {"buyers_pay", cpx::format_fixed(money.buyers_pay)},
                       {"sellers_receive", cpx::format_fixed(money.sellers_receive)},
                       {"carriers_receive", cpx::format_fixed(money.carriers_receive)},
                       {"exchange_fees", cpx::format_fixed(money.exchange_fees)},
                       {"balanced", money.balanced()}};
  if (!out_dir.empty()) summary["out"] = out_dir;
  std::printf("%s\n", summary.dump().c_str());
  return money.balanced() ? kOk : kRefused;
}

// ---- example

ordered_json config_entry(const std::string& line) {
  ordered_json v = ordered_json::parse(line, nullptr, false);
  if (v.is_object()) v.erase("cmd");
  return v;
}

ordered_json offer(uint64_t id, const char* supplier, const char* region, const char* cls, int hour, int64_t devices,
                   const std::string& price) {
  return ordered_json{{"id", id},     {"supplier", supplier}, {"region", region}, {"class", cls},
                      {"hour", hour}, {"devices", devices},   {"price", price}};
}

int example(int argc, char** argv) {
  std::string out, day = "2026-12-02", config = cpx::api::default_config_dir();
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kExampleUsage, stdout);
      return kOk;
    } else if ((a == "--out" || a == "--day" || a == "--config") && i + 1 < argc) {
      (a == "--out" ? out : a == "--day" ? day : config) = argv[++i];
    } else if (a == "--out" || a == "--day" || a == "--config") {
      return usage_error(kExampleUsage, a + " needs a value");
    } else {
      return usage_error(kExampleUsage, "unknown argument '" + a + "'");
    }
  }
  if (out.empty()) return usage_error(kExampleUsage, "give --out FILE: where the example day goes");
  auto day_start = cpx::api::parse_auction_day(day);
  if (!day_start) return usage_error(kExampleUsage, "--day must be a date YYYY-MM-DD, not '" + day + "'");

  auto reference = cpx::api::load_reference_requests(config);
  if (!reference) return refused(reference.error().text + " (give the config directory with --config DIR)");
  auto network = cpx::api::load_network_requests(config);
  if (!network) return refused(network.error().text + " (give the config directory with --config DIR)");

  ordered_json doc;
  doc["format"] = cpx::api::kAuctionDayFormat;
  doc["comment"] = "An example auction day written by cpx-auction example: reference data from config/, demo orders.";
  doc["day"] = day;
  doc["gate_closure"] = cpx::format_iso_time(*day_start - 12 * cpx::kNanosPerHour);
  doc["fee_bps"] = 5;
  ordered_json participants = ordered_json::array({
      {{"code", "NMDC"}, {"name", "Inner Mongolia state data-centre operator (demo)"}, {"kind", "state_operator"}},
      {{"code", "ALICLOUD"}, {"name", "Alibaba Cloud (demo)"}, {"kind", "cloud_vendor"}},
      {{"code", "HWCLOUD"}, {"name", "Huawei Cloud (demo)"}, {"kind", "cloud_vendor"}},
      {{"code", "GZBD"}, {"name", "Guizhou big-data state operator (demo)"}, {"kind", "state_operator"}},
  });
  ordered_json regions = ordered_json::array(), classes = ordered_json::array(), links = ordered_json::array();
  for (const std::string& line : *reference) {
    ordered_json v = config_entry(line);
    (v.contains("scu_per_device") ? classes : regions).push_back(v);
  }
  for (const std::string& line : *network) {
    ordered_json v = config_entry(line);
    if (v.contains("kind")) {
      participants.push_back(ordered_json{{"code", v["code"]}, {"name", v["name"]}, {"kind", v["kind"]}});
    } else {
      links.push_back(v);
    }
  }
  const std::pair<const char*, const char*> buyers[] = {{"BJAI", "Beijing AI lab (demo buyer)"},
                                                         {"SHRENDER", "Shanghai render farm (demo buyer)"},
                                                         {"SZAUTO", "Shenzhen autonomous driving (demo buyer)"}};
  for (const auto& [code, name] : buyers)
    participants.push_back(ordered_json{{"code", code}, {"name", name}, {"kind", "buyer"}});
  doc["participants"] = participants;
  doc["regions"] = regions;
  doc["classes"] = classes;
  doc["links"] = links;

  // Offers: NM H100 in three steps, JJJ H100 dear, GZ Ascend 910B, NX H20 around the clock; YRD L40S by
  // day. Daytime hours (08-19) cost a little more.
  ordered_json offers = ordered_json::array();
  uint64_t id = 1001;
  for (int h = 0; h < 24; ++h) {
    const bool day_time = h >= 8 && h < 20;
    offers.push_back(offer(id++, "NMDC", "NM", "H100", h, 256, day_time ? "18.3000" : "17.8000"));
    offers.push_back(offer(id++, "ALICLOUD", "NM", "H100", h, 128, day_time ? "18.6000" : "18.2000"));
    offers.push_back(offer(id++, "NMDC", "NM", "H100", h, 256, day_time ? "19.4000" : "18.9000"));
    offers.push_back(offer(id++, "HWCLOUD", "JJJ", "H100", h, 64, "24.5000"));
    offers.push_back(offer(id++, "HWCLOUD", "GZ", "ASC910B", h, 512, "9.6000"));
    offers.push_back(offer(id++, "GZBD", "GZ", "ASC910B", h, 128, "9.4000"));
    offers.push_back(offer(id++, "ALICLOUD", "NX", "H20", h, 512, "4.1000"));
    if (day_time) offers.push_back(offer(id++, "ALICLOUD", "YRD", "L40S", h, 64, "7.5000"));
  }
  doc["offers"] = offers;
  ordered_json bids = ordered_json::array();
  // A day of training from Beijing: 200 H100-equivalents, at least half.
  bids.push_back({{"id", 2001}, {"cl_ord_id", "bj-train"}, {"buyer", "BJAI"}, {"first_hour", 0}, {"hours", 24},
                  {"scu_per_hour", 197800}, {"min_ratio", "0.5"}, {"limit_cny_per_scu_hour", "0.02000000"},
                  {"data_gb_per_hour", 2000}, {"classes", {"H100", "H800"}}, {"regions", "any"}, {"origin", "JJJ"},
                  {"max_latency_ms", 20}, {"residency", "any"}});
  // Rendering from Shanghai on green power only, all or none.
  bids.push_back({{"id", 2002}, {"cl_ord_id", "sh-render"}, {"buyer", "SHRENDER"}, {"first_hour", 8}, {"hours", 12},
                  {"scu_per_hour", 96000}, {"min_ratio", "1"}, {"limit_cny_per_scu_hour", "0.03100000"},
                  {"data_gb_per_hour", 500}, {"classes", {"L40S", "ASC910B"}}, {"origin", "YRD"},
                  {"min_green_share", "0.50"}});
  // Night training from Shenzhen with a lot of data: the GBA->NM link (100 Gbps) limits it.
  bids.push_back({{"id", 2003}, {"cl_ord_id", "sz-night"}, {"buyer", "SZAUTO"}, {"first_hour", 0}, {"hours", 8},
                  {"scu_per_hour", 296700}, {"min_ratio", "0.5"}, {"limit_cny_per_scu_hour", "0.03000000"},
                  {"data_gb_per_hour", 60000}, {"classes", {"H100"}}, {"regions", {"NM"}}, {"origin", "GBA"}});
  // Inference that must stay in Beijing, all or none, below the local price: rejected.
  bids.push_back({{"id", 2004}, {"cl_ord_id", "bj-infer"}, {"buyer", "BJAI"}, {"first_hour", 9}, {"hours", 9},
                  {"scu_per_hour", 31648}, {"min_ratio", "1"}, {"limit_cny_per_scu_hour", "0.02400000"},
                  {"data_gb_per_hour", 0}, {"classes", {"H100"}}, {"origin", "JJJ"}, {"residency", "local"}});
  // Evening evaluation on H20 in the west.
  bids.push_back({{"id", 2005}, {"cl_ord_id", "bj-eval"}, {"buyer", "BJAI"}, {"first_hour", 20}, {"hours", 4},
                  {"scu_per_hour", 59200}, {"min_ratio", "0.25"}, {"limit_cny_per_scu_hour", "0.03000000"},
                  {"data_gb_per_hour", 100}, {"classes", {"H20"}}, {"origin", "JJJ"}, {"max_latency_ms", 15}});
  doc["bids"] = bids;

  auto file = cpx::api::read_auction_day(doc.dump());
  if (!file) return refused("the example does not fit the config in " + config + ": " + file.error().text);
  cpx::api::freeze_routes(*file);
  for (cpx::api::AuctionFileBid& b : file->bids) b.reserve = cpx::api::auction_file_reserve(*file, b);
  if (auto in = cpx::api::auction_input_from_file(*file); !in)
    return refused("the example does not fit the config in " + config + ": " + in.error().text);
  const std::string text = cpx::api::write_auction_day(*file);
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (f) f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (f) f.close();
  if (!f) return refused("cannot write " + out + ": " + std::strerror(errno));
  std::printf("%s\n", ordered_json{{"ok", true},
                                   {"file", out},
                                   {"day", day},
                                   {"offers", file->offers.size()},
                                   {"bids", file->bids.size()}}
                          .dump()
                          .c_str());
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-auction")) return 0;
  if (argc < 2) {
    std::fprintf(stderr, "cpx-auction: give a command: solve, check or example\n%s", kMainUsage);
    return kUsage;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kMainUsage, stdout);
    return kOk;
  }
  if (cmd == "solve") return solve(argc - 2, argv + 2);
  if (cmd == "check") return check(argc - 2, argv + 2);
  if (cmd == "example") return example(argc - 2, argv + 2);
  std::fprintf(stderr, "cpx-auction: unknown command '%s'\n%s", cmd.c_str(), kMainUsage);
  return kUsage;
}
