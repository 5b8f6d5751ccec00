// cpx-replay: JSON-lines commands in, JSON-lines events out (docs/API.md). With --depth N the top N levels
// of every book a command touched follow its events. The last line is the engine's state hash. With
// --journal DIR every command is made durable before it is applied, and a restart recovers from DIR.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <span>
#include <set>
#include <string>
#include <vector>

#include "cpx/matching_engine.hpp"
#include "json/client_order_ids.hpp"
#include "json/command_codec.hpp"
#include "json/config_loader.hpp"
#include "json/event_codec.hpp"
#include "json/event_fanout.hpp"
#include "journal.hpp"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: cpx-replay [--config DIR | --no-config] [--depth N] [FILE]\n"
               "  Reads JSON-lines commands from FILE (or stdin), writes JSON-lines events to stdout.\n"
               "  --config DIR   load regions and chip classes from DIR (default: the project's config/)\n"
               "  --no-config    start with no reference data\n"
               "  --depth N      after each command, print the top N levels of every book it touched\n"
               "  --journal DIR  durable mode: recover the engine from the RocksDB journal in DIR, then make\n"
               "                 every command durable there (synced) before applying it\n");
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
  std::string config_dir = cpx::api::default_config_dir();
  bool load_config = true;
  size_t depth = 0;
  std::string input_path;
  std::string journal_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_dir = argv[++i];
    } else if (a == "--journal" && i + 1 < argc) {
      journal_dir = argv[++i];
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
  cpx::MatchingEngine engine(fanout);
  cpx::api::EngineNames names(engine);
  cpx::api::ClientOrderIds client_ids;
  cpx::api::CommandDecoder decoder(names, &client_ids);
  fanout.add(&client_ids);

  // Durable mode: whatever the journal holds is replayed first (its events are not printed again).
  std::unique_ptr<cpx::persistence::Journal> journal;
  if (!journal_dir.empty()) {
    auto opened = cpx::persistence::Journal::open({journal_dir});
    if (!opened) {
      std::fprintf(stderr, "cpx-replay: %s\n", opened.error().text.c_str());
      return 2;
    }
    journal = std::move(*opened);
    auto recovered = journal->replay(1, [&](uint64_t, const cpx::Command& c) { engine.apply(c); });
    if (!recovered) {
      std::fprintf(stderr, "cpx-replay: recovery failed: %s\n", recovered.error().text.c_str());
      return 2;
    }
    if (*recovered > 0) {
      load_config = false;  // the reference data is in the journal already
      char hash[32];
      std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(engine.state_hash()));
      out += "{\"ev\":\"recovered\",\"commands\":" + std::to_string(*recovered) + ",\"hash\":\"" + hash + "\"}\n";
    }
  }
  // Every command goes through here: durable first (in durable mode), then applied.
  auto submit = [&](const cpx::Command& c) -> bool {
    if (journal) {
      auto seq = journal->append(std::span<const cpx::Command>(&c, 1));
      if (!seq) {
        std::fprintf(stderr, "cpx-replay: %s\n", seq.error().text.c_str());
        return false;
      }
    }
    engine.apply(c);
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
    for (const std::string& r : *requests) {
      auto cmd = decoder.decode(r, engine.now());
      if (cmd && !submit(*cmd)) return 2;
      if (!cmd || catcher.rejected) {
        std::string why = cmd ? std::string(cpx::reason_text(catcher.reason)) : cmd.error().text;
        std::fprintf(stderr, "cpx-replay: config entry rejected: %s\n  %s\n", why.c_str(), r.c_str());
        return 2;
      }
    }
    fanout.remove(&catcher);
  }

  TouchedBooks touched;
  cpx::api::JsonEventWriter writer(names, out);
  fanout.add(&touched);
  fanout.add(&writer);

  std::string line;
  uint64_t line_no = 0, commands = 0, errors = 0;
  while (std::getline(*in, line)) {
    ++line_no;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;  // blank lines and comments
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
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  char hash[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(engine.state_hash()));
  out += "{\"ev\":\"state_hash\",\"hash\":\"" + std::string(hash) + "\",\"lines\":" + std::to_string(line_no) +
         ",\"commands\":" + std::to_string(commands) + ",\"errors\":" + std::to_string(errors) +
         ",\"open_orders\":" + std::to_string(engine.open_order_count()) + "}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
