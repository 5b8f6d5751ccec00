// cpx-replay: JSON-lines commands in, JSON-lines events out (docs/API.md). With --depth N the top N levels
// of every book a command touched follow its events. The last line is the engine's state hash. With
// --journal DIR every command is made durable before it is applied, and a restart recovers from DIR.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "cpx/auction_solver.hpp"
#include "cpx/matching_engine.hpp"
#include "json/auction_file.hpp"
#include "json/client_order_ids.hpp"
#include "json/command_codec.hpp"
#include "cpx/auction_summary.hpp"
#include "json/config_loader.hpp"
#include "json/event_codec.hpp"
#include "json/event_fanout.hpp"
#include "journal.hpp"
#include "exchange.hpp"
#include "recovery.hpp"
#include "statement.hpp"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>
#include "snapshot_store.hpp"
#include "cpx/version.hpp"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: cpx-replay [--config DIR | --no-config] [--depth N] [FILE]\n"
               "  Reads JSON-lines commands from FILE (or stdin), writes JSON-lines events to stdout.\n"
               "  --config DIR   load regions and chip classes from DIR (default: the project's config/)\n"
               "  --no-config    start with no reference data\n"
               "  --depth N      after each command, print the top N levels of every book it touched\n"
               "  --journal DIR  durable mode: recover the engine from the RocksDB journal in DIR, then make\n"
               "                 every command durable there (synced) before applying it and printing its events\n"
               "  --snapshot-every N  with --journal: save an engine snapshot every N commands (default 100000, 0 = never)\n"
               "  --replay-events with --journal: replay the whole journal, print every event, exit\n"
               "  --accept-torn-tail  with --journal: open a journal whose write-ahead log ends in a torn or cut\n"
               "                 record without that record (its WAL files are kept aside first); without it such\n"
               "                 a journal is refused, exit 3 (docs/OPERATIONS.md, refused start)\n"
               "  --retry-writes S  with --journal: when a journal write fails (a full disk), retry it once a second\n"
               "                 for up to S seconds before giving up (default 0: give up at once, exit 2)\n"
               "  --flush        write and flush the events of each command as soon as it is done\n"
               "  --history-retention-days N  keep closed orders and fills N days (default 31): give cpxd's value\n"
               "                 when replaying its journal, or the state hash differs from cpxd's\n"
               "  --statement CODE  after the input, print CODE's cash statement (JSON; --csv for CSV)\n"
               "With --journal, once recovered (every record and file checked first) and ready for input it prints\n"
               "{\"ev\":\"ready\",\"next_seq\":N}, flushed at once.\n"
               "Besides the engine's commands (docs/API.md) the input may hold two the tool carries out itself:\n"
               "  {\"cmd\":\"run_auction\",\"day\":\"YYYY-MM-DD\"}  solve that day's closed auction (its frozen input)\n"
               "      and apply the result as a clear_auction command (journaled with --journal); optional \"ts\",\n"
               "      \"participant\" (an operator), \"time_limit_s\", \"gap\"; prints an auction_solved line with the stats\n"
               "  {\"cmd\":\"export_auction\",\"day\":\"YYYY-MM-DD\",\"file\":PATH}  write that day's frozen auction as a\n"
               "      day file for cpx-auction (docs/AUCTION_FILES.md)\n");
}

// Remembers which books a command touched, for --depth.
class TouchedBooks final : public cpx::EventListener {
 public:
  void on_book_change(const cpx::BookChange& e) override { ids.insert(e.instrument); }
  std::set<cpx::InstrumentId> ids;
};

void write_depth(const cpx::MatchingEngine& engine, cpx::InstrumentId id, size_t levels, std::string& out) {
  std::vector<cpx::LevelView> view;
  out += "{\"ev\":\"book\",\"symbol\":";
  cpx::api::append_json_string(out, engine.instrument(id)->symbol);
  for (cpx::Side side : {cpx::Side::Buy, cpx::Side::Sell}) {
    engine.depth(id, side, levels, view);
    out += side == cpx::Side::Buy ? ",\"bids\":[" : ",\"asks\":[";
    for (size_t i = 0; i < view.size(); ++i) {
      if (i) out += ',';
      out += "[\"" + cpx::format_fixed(view[i].price) + "\"," + std::to_string(view[i].qty) + "," +
             std::to_string(view[i].orders) + "]";
    }
    out += ']';
  }
  out += "}\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-replay")) return 0;
  std::string config_dir = cpx::api::default_config_dir();
  bool load_config = true;
  size_t depth = 0;
  std::string input_path;
  std::string journal_dir;
  uint64_t snapshot_every = 100000;
  bool replay_events = false;
  bool flush_each = false;
  std::string statement_of;
  bool statement_csv = false;
  bool accept_torn_tail = false;
  uint64_t retry_writes_s = 0;
  cpx::persistence::ExchangeConfig exchange_config;  // the order history's retention must be cpxd's
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_dir = argv[++i];
    } else if (a == "--journal" && i + 1 < argc) {
      journal_dir = argv[++i];
    } else if (a == "--snapshot-every" && i + 1 < argc) {
      snapshot_every = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--replay-events") {
      replay_events = true;
    } else if (a == "--accept-torn-tail") {
      accept_torn_tail = true;
    } else if (a == "--history-retention-days" && i + 1 < argc) {
      char* end = nullptr;
      const long n = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || n < 1 || n > 3660) {
        std::fprintf(stderr, "cpx-replay: --history-retention-days takes 1 to 3660, got '%s'\n", argv[i]);
        return 2;
      }
      exchange_config.history.retention_ns = n * cpx::kNanosPerDay;
    } else if (a == "--retry-writes" && i + 1 < argc) {
      retry_writes_s = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--statement" && i + 1 < argc) {
      statement_of = argv[++i];
    } else if (a == "--csv") {
      statement_csv = true;
    } else if (a == "--flush") {
      flush_each = true;
    } else if (a == "--no-config") {
      load_config = false;
    } else if (a == "--depth" && i + 1 < argc) {
      char* end = nullptr;
      long n = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || n < 0) {
        std::fprintf(stderr, "cpx-replay: --depth takes a whole number, got '%s'\n", argv[i]);
        return 2;
      }
      depth = static_cast<size_t>(n);
    } else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "cpx-replay: unknown option '%s'\n", a.c_str());
      usage();
      return 2;
    } else {
      input_path = a;
    }
  }

  std::ifstream file;
  std::istream* in = &std::cin;
  if (!input_path.empty() && input_path != "-") {
    file.open(input_path);
    if (!file) {
      std::fprintf(stderr, "cpx-replay: cannot open %s\n", input_path.c_str());
      return 2;
    }
    in = &file;
  }

  std::string out;
  out.reserve(1 << 20);
  cpx::api::EventFanout fanout;
  cpx::api::ClientOrderIds client_ids;
  TouchedBooks touched;
  std::unique_ptr<cpx::persistence::Exchange> exchange;

  // Durable mode: recover from the journal (newest usable snapshot plus the journal after it), or with
  // --replay-events replay the whole journal and print every event it gives.
  std::unique_ptr<cpx::persistence::Journal> journal;
  std::unique_ptr<cpx::persistence::SnapshotStore> snapshots;
  if (!journal_dir.empty()) {
    cpx::persistence::JournalOptions options{journal_dir};
    options.accept_torn_tail = accept_torn_tail;
    auto opened = cpx::persistence::Journal::open(options);
    if (!opened) {
      std::fprintf(stderr, "cpx-replay: %s: %s\n", opened.error().code.c_str(), opened.error().text.c_str());
      return opened.error().code == "journal_torn_tail" ? 3 : 2;
    }
    journal = std::move(*opened);
    if (!journal->open_report().text.empty()) {
      std::fprintf(stderr, "cpx-replay: journal: %s\n", journal->open_report().text.c_str());
    }
    snapshots = std::make_unique<cpx::persistence::SnapshotStore>(*journal);
  }
  std::unique_ptr<cpx::api::EngineNames> names;
  std::unique_ptr<cpx::api::JsonEventWriter> writer;
  if (journal && replay_events) {
    exchange = std::make_unique<cpx::persistence::Exchange>(fanout, exchange_config);
    names = std::make_unique<cpx::api::EngineNames>(exchange->engine());
    writer = std::make_unique<cpx::api::JsonEventWriter>(*names, out);
    fanout.add(writer.get());
    // The audit covers what the replay does not read: the block checksums of every file (ledger, snapshots).
    auto verified = journal->verify();
    if (!verified) {
      std::fprintf(stderr, "cpx-replay: %s\n", verified.error().text.c_str());
      return 2;
    }
    auto replayed = journal->replay(1, [&](uint64_t, const cpx::Command& c) {
      exchange->apply(c);
      if (out.size() > (1 << 20)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    });
    if (!replayed) {
      std::fprintf(stderr, "cpx-replay: %s\n", replayed.error().text.c_str());
      return 2;
    }
    char hash[32];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(exchange->state_hash()));
    std::string why;
    bool consistent = exchange->check(why);
    // The durable ledger (written in the journal's batches) must equal the one the replay rebuilt.
    cpx::persistence::Ledger durable;
    auto loaded = durable.load(*journal->db(), journal->ledger_family());
    bool durable_match = loaded.ok() && durable.account_count() == exchange->ledger().account_count() &&
                         durable.transfer_count() == exchange->ledger().transfer_count();
    for (const auto* a : exchange->ledger().accounts_sorted()) {
      if (!durable_match) break;
      const auto* d = durable.account(a->id);
      durable_match = d && cpx::persistence::encode_account(*d) == cpx::persistence::encode_account(*a);
    }
    out += "{\"ev\":\"state_hash\",\"hash\":\"" + std::string(hash) + "\",\"commands\":" + std::to_string(*replayed) +
           ",\"ledger_ok\":" + (consistent ? "true" : "false") + ",\"durable_ledger_matches\":" +
           (durable_match ? "true" : "false") + ",\"accounts\":" + std::to_string(exchange->ledger().account_count()) +
           ",\"transfers\":" + std::to_string(exchange->ledger().transfer_count()) + "}\n";
    if (!consistent) std::fprintf(stderr, "cpx-replay: ledger check failed: %s\n", why.c_str());
    if (!durable_match) std::fprintf(stderr, "cpx-replay: the durable ledger differs from the replayed one\n");
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  if (journal) {
    auto report = cpx::persistence::recover<cpx::persistence::Exchange>(
        *journal, *snapshots, [&] { return std::make_unique<cpx::persistence::Exchange>(fanout, exchange_config); }, exchange);
    if (!report) {
      std::fprintf(stderr, "cpx-replay: recovery failed: %s\n", report.error().text.c_str());
      return 2;
    }
    for (const std::string& why : report->skipped) std::fprintf(stderr, "cpx-replay: recovery skipped %s\n", why.c_str());
    if (journal->next_seq() > 1) {
      load_config = false;  // the reference data is in the journal already
      char hash[32];
      std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(exchange->state_hash()));
      out += "{\"ev\":\"recovered\",\"commands\":" + std::to_string(journal->next_seq() - 1) +
             ",\"snapshot_seq\":" + std::to_string(report->snapshot_seq) + ",\"replayed\":" +
             std::to_string(report->replayed) + ",\"verified\":" + std::to_string(report->verified) +
             ",\"hash\":\"" + hash + "\"}\n";
    }
  } else {
    exchange = std::make_unique<cpx::persistence::Exchange>(fanout, exchange_config);
  }
  const cpx::MatchingEngine& engine = exchange->engine();
  // Client ids of the open orders, rebuilt from the engine (a snapshot does not carry them), oldest order
  // first so that, as live, a client id shared by two open orders names the newer one.
  {
    std::vector<cpx::OrderView> open, all;
    for (cpx::InstrumentId i = 0; i < engine.instrument_count(); ++i) {
      for (cpx::Side side : {cpx::Side::Buy, cpx::Side::Sell}) {
        engine.orders_in_book(i, side, open);
        all.insert(all.end(), open.begin(), open.end());
      }
    }
    std::sort(all.begin(), all.end(), [](const cpx::OrderView& a, const cpx::OrderView& b) { return a.id < b.id; });
    for (const cpx::OrderView& o : all) client_ids.add(o.participant, o.cl_ord_id, o.id);
  }
  names = std::make_unique<cpx::api::EngineNames>(engine);
  cpx::api::CommandDecoder decoder(*names, &client_ids);
  fanout.add(&client_ids);

  // One journal batch: commands + the ledger postings they caused. A failed write (a full disk) keeps the
  // batch in the journal; with --retry-writes it is written again once a second until it goes through or
  // the time is up. Nothing of it is printed before it is durable.
  auto append = [&](std::span<const cpx::Command> commands) -> cpx::Result<uint64_t> {
    auto seq = journal->append(commands, [&](rocksdb::WriteBatch& batch) {
      exchange->ledger().drain_to(batch, journal->ledger_family());
    });
    if (seq || !journal->has_pending() || retry_writes_s == 0) return seq;
    std::fprintf(stderr, "cpx-replay: %s; retrying once a second for up to %llu s\n", seq.error().text.c_str(),
                 static_cast<unsigned long long>(retry_writes_s));
    for (uint64_t waited = 0; waited < retry_writes_s; ++waited) {
      ::sleep(1);
      seq = journal->retry_pending();
      if (seq) {
        std::fprintf(stderr, "cpx-replay: journal written again after %llu s\n", static_cast<unsigned long long>(waited + 1));
        return seq;
      }
    }
    return seq;
  };

  // Every command goes through here. In durable mode it is applied in memory, then the command and the
  // ledger postings it caused are written in one synced batch, and only then can its events be written
  // out; every --snapshot-every commands the exchange state is saved too (the newest three are kept).
  auto submit = [&](const cpx::Command& c) -> bool {
    const size_t events_before = out.size();
    // A failure leaves nothing of the command in the output: what was not made durable is not acknowledged.
    auto fail = [&](const std::string& why) {
      out.resize(events_before);
      std::fprintf(stderr, "cpx-replay: %s\n", why.c_str());
      return false;
    };
    if (journal) {
      exchange->apply(c);
      if (exchange->ledger_failures() != 0) return fail("the ledger refused a posting the exchange made: stopping");
      auto seq = append(std::span<const cpx::Command>(&c, 1));
      if (!seq) return fail(seq.error().text);
      if (snapshot_every > 0 && *seq % snapshot_every == 0) {
        // A snapshot is a shortcut through the journal, which has every command: one that cannot be
        // written (a full disk) is skipped, and the journal's next write says whether there is room.
        auto saved = snapshots->save(*seq, exchange->snapshot());
        if (saved) saved = snapshots->prune(3);
        if (!saved) std::fprintf(stderr, "cpx-replay: snapshot skipped: %s\n", saved.error().text.c_str());
      }
      return true;
    }
    exchange->apply(c);
    if (exchange->ledger_failures() != 0) return fail("the ledger refused a posting the exchange made: stopping");
    return true;
  };

  // Reference data first, through the same decoder and engine path as any admin request; its events are
  // not printed, but a rejected entry stops the replay.
  if (load_config) {
    struct RejectCatcher final : cpx::EventListener {
      void on_rejected(const cpx::OrderRejected& e) override { reason = e.reason; rejected = true; }
      bool rejected = false;
      cpx::RejectReason reason{};
    } catcher;
    fanout.add(&catcher);
    auto requests = cpx::api::load_reference_requests(config_dir);
    if (!requests) {
      std::fprintf(stderr, "cpx-replay: %s\n", requests.error().text.c_str());
      return 2;
    }
    // All of it is one journal batch: a crash during the first start leaves all or none of it.
    std::vector<cpx::Command> config;
    for (const std::string& r : *requests) {
      auto cmd = decoder.decode(r, engine.now());
      if (!cmd) {
        std::fprintf(stderr, "cpx-replay: config entry rejected: %s\n  %s\n", cmd.error().text.c_str(), r.c_str());
        return 2;
      }
      config.push_back(*cmd);
    }
    for (size_t k = 0; k < config.size(); ++k) {
      exchange->apply(config[k]);
      if (catcher.rejected) {
        std::fprintf(stderr, "cpx-replay: config entry rejected: %s\n  %s\n",
                     std::string(cpx::reason_text(catcher.reason)).c_str(), (*requests)[k].c_str());
        return 2;
      }
    }
    if (journal) {
      auto seq = append(config);
      if (!seq) {
        std::fprintf(stderr, "cpx-replay: %s\n", seq.error().text.c_str());
        return 2;
      }
    }
    fanout.remove(&catcher);
  }

  writer = std::make_unique<cpx::api::JsonEventWriter>(*names, out);
  fanout.add(&touched);
  fanout.add(writer.get());
  // Recovered (or new, with its reference data journaled) and about to read input: a driver such as
  // tools/crash_test.py waits for this line, so what it does next meets a process that has started.
  if (journal) {
    out += "{\"ev\":\"ready\",\"next_seq\":" + std::to_string(journal->next_seq()) + "}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    out.clear();
  }

  // The day-ahead auction's tool commands (the engine never solves): run_auction solves a closed day's
  // frozen input and applies the result as a ClearAuction through submit(), so it is journaled like any
  // command; export_auction writes the day file cpx-auction reads.
  struct ToolOutcome {
    std::string reason, error_text;  // a refusal, printed as an error line
    bool failed = false;             // the command could not be made durable: stop
    uint64_t commands = 0;
  };
  auto refuse = [](std::string reason, std::string text) {
    ToolOutcome o;
    o.reason = std::move(reason);
    o.error_text = std::move(text);
    return o;
  };
  auto closed_day = [&](const nlohmann::json& r, const cpx::AuctionDay*& day, std::string& code) -> std::optional<ToolOutcome> {
    const nlohmann::json* d = r.contains("day") ? &r["day"] : nullptr;
    std::optional<cpx::Timestamp> start;
    if (d && d->is_string()) start = cpx::api::parse_auction_day(d->get<std::string>());
    if (!start) return refuse("malformed_request", "field \"day\" must be the delivery day, YYYY-MM-DD");
    code = d->get<std::string>();
    day = engine.auction(*start);
    if (!day) return refuse("unknown_auction", "there is no auction for " + code + " (open_auction opens one)");
    if (day->state == cpx::AuctionState::Open)
      return refuse("auction_not_closed", "the auction for " + code + " is still open: its gate closes at " +
                                              cpx::format_iso_time(day->gate_closure) + "; advance_time past it first");
    return std::nullopt;
  };
  auto run_auction = [&](const nlohmann::json& r) -> ToolOutcome {
    const cpx::AuctionDay* day = nullptr;
    std::string code;
    if (auto refused = closed_day(r, day, code)) return *refused;
    if (day->state != cpx::AuctionState::Closed)
      return refuse("auction_not_closed", "the auction for " + code + " is " + std::string(cpx::to_string(day->state)) +
                                              " already: only a closed auction is solved");
    cpx::ClearAuction c;
    c.ts = engine.now();
    if (r.contains("ts")) {
      const nlohmann::json& t = r["ts"];
      std::optional<cpx::Timestamp> ts;
      if (t.is_string()) ts = cpx::parse_iso_time(t.get<std::string>());
      if (t.is_number_unsigned()) ts = static_cast<cpx::Timestamp>(std::min<uint64_t>(t.get<uint64_t>(), INT64_MAX));
      if (!ts) return refuse("malformed_request", "field \"ts\" must be ISO-8601 with a zone, or integer ns");
      c.ts = *ts;
    }
    if (r.contains("participant")) {
      c.actor = r["participant"].is_string() ? engine.find_participant(r["participant"].get<std::string>()) : cpx::kNoParticipant;
      if (c.actor == cpx::kNoParticipant) return refuse("unknown_participant", "field \"participant\" names no participant");
    }
    cpx::AuctionSolverOptions options;
    for (const char* key : {"time_limit_s", "gap"}) {
      if (!r.contains(key)) continue;
      if (!r[key].is_number() || !(r[key].get<double>() > 0))
        return refuse("malformed_request", std::string("field \"") + key + "\" must be a positive number");
      (key == std::string("gap") ? options.relative_gap : options.time_limit_s) = r[key].get<double>();
    }
    c.day_start = day->day_start;
    const cpx::AuctionInput input = day->input;  // the engine's copy changes when the result is applied
    cpx::AuctionSolverStats stats;
    auto result = cpx::solve_auction(input, options, &stats);
    if (!result) return refuse("auction_solver_failed", "the solver failed on the auction for " + code + ": " + result.error().text);
    c.result = std::move(*result);
    c.summary = cpx::clearing_summary(stats, /*with_times=*/false);  // the journal must not depend on the machine
    ToolOutcome done;
    if (!submit(cpx::Command(c))) {
      done.failed = true;
      return done;
    }
    done.commands = 1;
    const cpx::AuctionDay* after = engine.auction(c.day_start);
    nlohmann::ordered_json line{{"ev", "auction_solved"},
                                {"day", code},
                                {"state", std::string(cpx::to_string(after->state))},
                                {"offers", input.offers.size()},
                                {"bids", input.blocks.size()},
                                {"stats", cpx::api::auction_stats_json(stats, input)}};
    out += line.dump() + "\n";
    return done;
  };
  auto export_auction = [&](const nlohmann::json& r) -> ToolOutcome {
    const cpx::AuctionDay* day = nullptr;
    std::string code;
    if (auto refused = closed_day(r, day, code)) return *refused;
    if (!r.contains("file") || !r["file"].is_string() || r["file"].get<std::string>().empty())
      return refuse("malformed_request", "field \"file\" must be the path of the day file to write");
    const std::string path = r["file"].get<std::string>();
    auto file = cpx::api::auction_day_file(engine, *day);
    if (!file) return refuse(file.error().code, file.error().text);
    const std::string text = cpx::api::write_auction_day(*file);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (f) f.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (f) f.close();
    if (!f) return refuse("output_failed", "cannot write " + path + ": " + std::strerror(errno));
    nlohmann::ordered_json line{{"ev", "auction_exported"}, {"day", code}, {"file", path},
                                {"offers", file->offers.size()}, {"bids", file->bids.size()}};
    out += line.dump() + "\n";
    return ToolOutcome{};
  };

  std::string line;
  uint64_t line_no = 0, commands = 0, errors = 0;
  while (std::getline(*in, line)) {
    ++line_no;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;  // blank lines and comments
    if (line.find("_auction\"") != std::string::npos) {
      const nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
      const bool named = request.is_object() && request.contains("cmd") && request["cmd"].is_string();
      const std::string name = named ? request["cmd"].get<std::string>() : std::string();
      if (name == "run_auction" || name == "export_auction") {
        const ToolOutcome done = name == "run_auction" ? run_auction(request) : export_auction(request);
        if (!done.error_text.empty()) {
          ++errors;
          out += "{\"ev\":\"error\",\"line\":" + std::to_string(line_no) + ",\"cmd\":\"" + name + "\",\"reason\":";
          cpx::api::append_json_string(out, done.reason);
          out += ",\"text\":";
          cpx::api::append_json_string(out, done.error_text);
          out += "}\n";
        } else if (done.failed) {
          std::fwrite(out.data(), 1, out.size(), stdout);
          return 2;
        } else {
          commands += done.commands;
        }
        if (out.size() > (1 << 20) || flush_each) {
          std::fwrite(out.data(), 1, out.size(), stdout);
          out.clear();
          if (flush_each) std::fflush(stdout);
        }
        continue;
      }
    }
    auto cmd = decoder.decode(line, engine.now());
    if (!cmd) {
      ++errors;
      const auto& e = cmd.error();
      out += "{\"ev\":\"error\",\"line\":" + std::to_string(line_no);
      if (!e.cmd.empty()) {
        out += ",\"cmd\":";
        cpx::api::append_json_string(out, e.cmd);
      }
      if (!e.cl_ord_id.empty()) {
        out += ",\"cl_ord_id\":";
        cpx::api::append_json_string(out, e.cl_ord_id);
      }
      out += ",\"reason\":\"";
      out += cpx::reason_code(e.reason);
      out += "\",\"text\":";
      cpx::api::append_json_string(out, e.text);
      out += "}\n";
    } else {
      ++commands;
      touched.ids.clear();
      if (!submit(*cmd)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        return 2;
      }
      if (depth > 0) {
        for (cpx::InstrumentId id : touched.ids) write_depth(engine, id, depth, out);
      }
    }
    if (out.size() > (1 << 20) || flush_each) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
      if (flush_each) std::fflush(stdout);
    }
  }
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(exchange->state_hash()));
  out += "{\"ev\":\"state_hash\",\"hash\":\"" + std::string(hash) + "\",\"lines\":" + std::to_string(line_no) +
         ",\"commands\":" + std::to_string(commands) + ",\"errors\":" + std::to_string(errors) +
         ",\"open_orders\":" + std::to_string(engine.open_order_count()) + "}\n";
  if (!statement_of.empty()) {
    const cpx::ParticipantId who = engine.find_participant(statement_of);
    if (who == cpx::kNoParticipant) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fprintf(stderr, "cpx-replay: --statement: participant '%s' is not known\n", statement_of.c_str());
      return 2;
    }
    auto st = cpx::persistence::build_statement(exchange->ledger(), who, statement_of, [&](cpx::ParticipantId p) {
      const cpx::Participant* q = engine.participant(p);
      return q ? q->code : std::to_string(p);
    });
    out += statement_csv ? cpx::persistence::statement_csv(st) : cpx::persistence::statement_json(st);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
