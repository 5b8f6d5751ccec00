// cpx-bench-sequencer: durable acknowledgements through the server's sequencer (group commit), with
// producer threads standing in for gateway sessions. The benchmark market (1,000 instruments) is set up
// and pre-filled first; then the producers submit the mixed order flow as fast as they can, each
// recording submit -> acknowledgement latency (the acknowledgement comes after the batch's fsync).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "order_flow.hpp"
#include "server/sequencer.hpp"
#include "cpx/version.hpp"

using namespace cpx;
using namespace cpx::bench;

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-bench-sequencer")) return 0;
  std::string dir = "var/bench-sequencer";
  size_t ops = 400'000;
  int producers = 2;
  size_t max_batch = 4096;
  double rate = 0;  // commands per second over all producers; 0 = as fast as possible (open loop)
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--ops") && i + 1 < argc) ops = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--producers") && i + 1 < argc) producers = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--max-batch") && i + 1 < argc) max_batch = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!std::strcmp(argv[i], "--rate") && i + 1 < argc) rate = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: cpx-bench-sequencer [--ops N] [--producers N] [--rate CMDS_PER_S] [--max-batch N] [--dir DIR]\n");
      return 2;
    }
  }
  const Setup s{1000, 1000, 50};
  std::filesystem::remove_all(dir);
  auto journal = persistence::Journal::open({dir});
  if (!journal) return 1;
  api::EventFanout fanout;
  persistence::Exchange exchange(fanout,
      persistence::ExchangeConfig{.engine = EngineConfig{4'000'000, 1024}, .history = {}});
  server::Sequencer seq(exchange, **journal, fanout, max_batch);
  // The market setup goes through the sequencer too (journaled); SetCredit is refused by the exchange,
  // so buyers get deposits instead.
  std::vector<Command> setup = market_commands(s, 42);
  for (int p = 0; p < s.participants_per_side; ++p) {
    // Together the deposits stay below the ledger's bound (a sum past it is refused as an overflow, and a
    // refused posting stops the sequencer).
    setup.push_back(Deposit{t0(), kExchangeParticipant, static_cast<ParticipantId>(1 + p),
                            kMaxNotional / (2 * s.participants_per_side)});
  }
  std::atomic<size_t> setup_acked{0};
  std::atomic<size_t> not_durable{0};  // acknowledgements with seq 0: the write failed, figures would be void
  for (const Command& c : setup)
    seq.submit(c, [&](uint64_t s, const std::string&) {
      if (s == 0) ++not_durable;
      ++setup_acked;
    });
  seq.start();
  while (setup_acked.load() < setup.size()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto before = seq.stats();

  const auto flow = generate(s, ops, 42);
  std::vector<std::vector<uint32_t>> latencies(static_cast<size_t>(producers));
  std::atomic<size_t> acked{0};
  auto now_ns_steady = [] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  };
  const uint64_t start = now_ns_steady();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      auto& lat = latencies[static_cast<size_t>(p)];
      lat.resize(ops / static_cast<size_t>(producers) + 1);
      size_t k = 0;
      for (size_t i = static_cast<size_t>(p); i < flow.size(); i += static_cast<size_t>(producers), ++k) {
        // Paced: command i is due at start + i / rate, and its latency counts from then (a late send
        // counts against the system, not in its favour).
        uint64_t sent = now_ns_steady();
        if (rate > 0) {
          const uint64_t due = start + static_cast<uint64_t>(static_cast<double>(i) * 1e9 / rate);
          while (now_ns_steady() < due) std::this_thread::yield();
          sent = due;
        }
        uint32_t* slot = &lat[k];
        seq.submit(to_command(flow[i], t0()), [slot, sent, &acked, &not_durable, &now_ns_steady](uint64_t s, const std::string&) {
          if (s == 0) ++not_durable;
          *slot = static_cast<uint32_t>(std::min<uint64_t>(now_ns_steady() - sent, UINT32_MAX));
          ++acked;
        });
      }
      lat.resize(k);
    });
  }
  for (auto& t : threads) t.join();
  while (acked.load() < flow.size()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  const uint64_t elapsed = now_ns_steady() - start;
  seq.stop();
  if (not_durable.load() != 0) {
    std::fprintf(stderr, "cpx-bench-sequencer: %zu commands were not made durable (journal or ledger failure): no figures\n",
                 not_durable.load());
    std::filesystem::remove_all(dir);
    return 1;
  }
  const auto after = seq.stats();
  std::vector<uint32_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) { return all[std::min(all.size() - 1, static_cast<size_t>(q * static_cast<double>(all.size())))]; };
  std::printf("{\"scenario\":\"sequencer_durable_acks\",\"producers\":%d,\"rate\":%.0f,\"max_batch\":%zu,\"commands\":%zu,"
              "\"fsyncs\":%" PRIu64 ",\"largest_batch\":%" PRIu64 ",\"acks_per_s\":%.0f,\"ack_p50_us\":%.1f,"
              "\"ack_p99_us\":%.1f,\"ack_p999_us\":%.1f}\n",
              producers, rate, max_batch, flow.size(), after.batches - before.batches, after.largest_batch,
              static_cast<double>(flow.size()) * 1e9 / static_cast<double>(elapsed), pct(0.5) / 1e3, pct(0.99) / 1e3,
              pct(0.999) / 1e3);
  std::filesystem::remove_all(dir);
  return 0;
}
