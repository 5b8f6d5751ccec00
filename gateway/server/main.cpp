// cpxd: the CPX server. One process: the engine thread (sequencer: apply, journal, acknowledge), the
// WebSocket/HTTP gateway and the FIX gateway, the journal and ledger in RocksDB under the data directory.
// SIGTERM or SIGINT stop it cleanly; a restart recovers from the journal.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "fix/fix_server.hpp"
#include "json/config_loader.hpp"
#include "server/demo_market.hpp"
#include "server/event_log.hpp"
#include "server/self_signed.hpp"
#include "server/server_core.hpp"
#include "web/web_gateway.hpp"
#include "cpx/version.hpp"

#include <systemd/sd-daemon.h>

namespace {

// A start that cannot go on: said to the person at the console, and to the event log.
void start_failed(const std::string& why) {
  std::fprintf(stderr, "cpxd: %s\n", why.c_str());
  cpx::server::event_log::write(cpx::server::event_log::Level::error, "start_failed", {{"reason", why}});
}

void usage() {
  std::fprintf(stderr,
               "usage: cpxd [--config FILE] [--demo] [--data-dir DIR] [--accept-torn-journal-tail]\n"
               "  --config FILE    JSON configuration (default: none, built-in defaults; see config/cpxd.json)\n"
               "  --demo           on a fresh data directory, seed the demo market and demo users\n"
               "  --data-dir DIR   overrides data_dir of the configuration\n"
               "  --accept-torn-journal-tail  start on a journal whose write-ahead log ends in a torn or cut record,\n"
               "                   without that record (its WAL files are copied aside first); only after deciding\n"
               "                   as docs/OPERATIONS.md says (\"A refused start\")\n");
}

std::string random_hex(size_t bytes) {
  std::random_device rd;
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned v = rd() & 0xff;
    out += hex[v >> 4];
    out += hex[v & 15];
  }
  return out;
}

// Connections must never take the descriptors the journal, the snapshots and the listeners need: the soft
// limit is raised to the hard one, and max_connections kept below it with room to spare.
void fit_descriptor_limit(cpx::server::ServerConfig& config) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
    ::getrlimit(RLIMIT_NOFILE, &r);
  }
  constexpr rlim_t kReserve = 256;  // journal files, listeners, TLS files, the audit log, pipes
  const rlim_t room = r.rlim_cur > 2 * kReserve ? r.rlim_cur - kReserve : r.rlim_cur / 2;
  if (config.max_connections > room) {
    std::printf("cpxd: max_connections %zu lowered to %llu (open files limit %llu)\n", config.max_connections,
                static_cast<unsigned long long>(room), static_cast<unsigned long long>(r.rlim_cur));
    config.max_connections = static_cast<size_t>(room);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpxd")) return 0;
  std::string config_path;
  std::string data_dir;
  bool demo = false;
  bool accept_torn_tail = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--data-dir" && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (a == "--demo") {
      demo = true;
    } else if (a == "--accept-torn-journal-tail") {
      accept_torn_tail = true;
    } else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else {
      std::fprintf(stderr, "cpxd: unknown argument '%s'\n", a.c_str());
      usage();
      return 2;
    }
  }
  cpx::server::ServerConfig config;
  if (!config_path.empty()) {
    auto loaded = cpx::server::load_server_config(config_path);
    if (!loaded) {
      start_failed(loaded.error().text);
      return 2;
    }
    config = *loaded;
  }
  if (config.fix_acceptance_echo && !demo) {
    std::fprintf(stderr, "cpxd: fix_acceptance_echo is for conformance runs of the FIX session layer (docs/FIX.md §10) and "
                         "trades nothing: cpxd takes it only with --demo\n");
    return 2;
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  config.accept_torn_journal_tail = accept_torn_tail;
  cpx::server::fill_defaults(config);
  fit_descriptor_limit(config);

  // Signals are taken by sigwait below: block them before any thread starts so that none inherits them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if ((config.https_port >= 0 || config.fix_tls_port >= 0) && config.tls_self_signed) {
    auto made = cpx::server::ensure_self_signed(config.tls_cert, config.tls_key);
    if (!made) {
      start_failed(made.error().text);
      return 2;
    }
  }

  std::string log;
  auto opened = cpx::server::ServerCore::open(config, log);
  std::fputs(log.c_str(), stdout);
  if (!opened) {
    start_failed(opened.error().text);
    // A torn journal tail waits for the operator's decision (docs/OPERATIONS.md): its own exit code.
    return opened.error().code == "journal_torn_tail" ? 3 : 1;
  }
  cpx::server::ServerCore& core = **opened;
  cpx::web::WebGateway web(core);
  cpx::fix::FixServer fix(core);
  core.start();

  const bool fresh = core.fresh();
  if (fresh) {
    auto reference = cpx::api::load_reference_requests(config.reference_dir);
    if (!reference) {
      start_failed(reference.error().text);
      return 1;
    }
    auto network = cpx::api::load_network_requests(config.reference_dir);
    if (!network) {
      start_failed(network.error().text);
      return 1;
    }
    auto r = core.run_admin_requests(*reference);
    if (r) r = core.run_admin_requests(*network);
    if (r && demo) r = core.run_admin_requests(cpx::server::demo_requests(cpx::server::wall_clock(), config.auction_schedule));
    if (!r) {
      std::fprintf(stderr, "cpxd: seeding failed: %s\n", r.error().text.c_str());
      return 1;
    }
  }
  if (core.users().size() == 0) {
    if (demo) {
      for (const auto& u : cpx::server::demo_users()) {
        auto put = core.users().put(u.username, u.participant, u.password, u.api_key, u.api_secret);
        if (!put) {
          start_failed(put.error().text);
          return 1;
        }
      }
    } else {
      // The exchange's own operator account; its secrets are shown once, here, and stored hashed / 0600.
      const std::string password = random_hex(12), key = "key-admin", secret = random_hex(24);
      auto put = core.users().put("admin", "EXCH", password, key, secret);
      if (!put) {
        start_failed(put.error().text);
        return 1;
      }
      // Written to a file only its owner reads, never to the console: service logs are read by more
      // people than the operator (docs/OPERATIONS.md).
      const std::string path = config.data_dir + "/admin-credentials.txt";
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      const std::string text = "user admin\nparticipant EXCH\npassword " + password + "\napi_key " + key + "\napi_secret " +
                               secret + "\n";
      if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(fd) != 0) {
        std::fprintf(stderr, "cpxd: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
        if (fd >= 0) ::close(fd);
        return 1;
      }
      ::close(fd);
      std::printf("created operator user 'admin' (participant EXCH): its password, API key and secret are in %s "
                  "(readable by this user only; move them somewhere safe and delete the file)\n",
                  path.c_str());
    }
  }

  auto web_started = web.start();
  if (!web_started) {
    start_failed(web_started.error().text);
    core.stop();
    return 1;
  }
  auto fix_started = fix.start();
  if (!fix_started) {
    start_failed(fix_started.error().text);
    web.stop();
    core.stop();
    return 1;
  }
  if (config.fix_acceptance_echo)
    std::printf("cpxd: WARNING: fix_acceptance_echo is on: FIX orders are echoed back, not traded (conformance runs only)\n");
  std::printf("cpxd: data in %s (journal at seq %llu)%s\n", config.data_dir.c_str(),
              static_cast<unsigned long long>(core.durable_seq()), fresh && demo ? ", demo market seeded" : "");
  if (web.port() >= 0) std::printf("cpxd: HTTP  http://%s:%d/  WebSocket ws://%s:%d/ws\n", config.bind.c_str(), web.port(), config.bind.c_str(), web.port());
  if (web.tls_port() >= 0) std::printf("cpxd: HTTPS https://%s:%d/  WebSocket wss://%s:%d/ws  (certificate %s)\n", config.bind.c_str(), web.tls_port(), config.bind.c_str(), web.tls_port(), config.tls_cert.c_str());
  if (fix.port() >= 0) std::printf("cpxd: FIX 4.4 tcp://%s:%d  server CompID %s\n", config.bind.c_str(), fix.port(), config.fix_sender_comp_id.c_str());
  if (fix.tls_port() >= 0) std::printf("cpxd: FIX 4.4 over TLS %s:%d  server CompID %sS\n", config.bind.c_str(), fix.tls_port(), config.fix_sender_comp_id.c_str());
  if (demo) {
    std::printf("cpxd: demo users (user / password / API key / secret):\n");
    for (const auto& u : cpx::server::demo_users())
      std::printf("  %-9s %-15s %-13s %s  (%s)\n", u.username.c_str(), u.password.c_str(), u.api_key.c_str(),
                  u.api_secret.c_str(), u.participant.c_str());
    std::printf("cpxd: tomorrow's demo books:");
    for (const auto& s : cpx::server::demo_symbols(cpx::server::wall_clock())) std::printf(" %s", s.c_str());
    std::printf("\n");
    if (fresh && config.auction_schedule) {
      const cpx::Timestamp day = cpx::server::demo_auction_day(cpx::server::wall_clock());
      std::printf("cpxd: day-ahead auction for %s seeded with offers and bids; it clears at its gate, %s "
                  "(curl -s localhost:%d/auction/%s)\n",
                  cpx::format_iso_time(day).substr(0, 10).c_str(), cpx::format_iso_time(day - 12 * cpx::kNanosPerHour).c_str(),
                  web.port(), cpx::format_iso_time(day).substr(0, 10).c_str());
    }
  }
  std::printf("cpxd: ready (SIGTERM or Ctrl-C to stop)\n");
  cpx::server::event_log::write(cpx::server::event_log::Level::info, "started",
                                {{"data_dir", config.data_dir}, {"journal_seq", core.durable_seq()}, {"http_port", web.port()},
                                 {"https_port", web.tls_port()}, {"fix_port", fix.port()}, {"fix_tls_port", fix.tls_port()}});
  std::fflush(stdout);
  // Under systemd (Type=notify): the unit is started only now, with the journal recovered and every
  // listener open. Without NOTIFY_SOCKET this does nothing.
  sd_notify(0, "READY=1");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("cpxd: %s received, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  cpx::server::event_log::write(cpx::server::event_log::Level::info, "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  std::fflush(stdout);
  sd_notify(0, "STOPPING=1");
  fix.stop();
  web.stop();
  core.stop();
  std::printf("cpxd: stopped cleanly at journal seq %llu\n", static_cast<unsigned long long>(core.durable_seq()));
  cpx::server::event_log::write(cpx::server::event_log::Level::info, "stopped", {{"journal_seq", core.durable_seq()}});
  return 0;
}
