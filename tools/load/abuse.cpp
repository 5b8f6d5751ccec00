// cpx-abuse: what an attacker who can reach cpxd's ports does, for measuring what it costs everyone else
// (docs/BENCHMARKS.md, "Under abuse"; bench/e2e.py --abuse runs it beside cpx-load). Two things at once:
//  - idle connections: --idle sockets to the HTTP and FIX ports (half each) that never send a byte, each
//    reopened as soon as the server closes it (the login deadline), so that about --idle are held;
//  - failed logins: --bad-logins per second, WebSocket logins with unknown API keys and FIX Logons with a
//    wrong password for a real user (--fix-user on --fix-comp-id), alternating.
// Connections come from --sources loopback addresses (127.100.x.y), as from that many machines.
// Prints one JSON object: connections held, reopened, and the answers the logins got.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connection.hpp"
#include "fix_wire.hpp"
#include "ws_client.hpp"
#include "cpx/version.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int web_port = 0, fix_port = 0;
  int idle = 5000;
  int bad_logins = 1000;  // per second
  int sources = 250;
  int threads = 4;
  double duration = 10;
  std::string fix_comp_id, fix_user = "bjai";
};

std::string source(int k, int sources) {
  k %= sources;
  return "127.100." + std::to_string(k / 250) + "." + std::to_string(2 + k % 250);
}

int connect_from(const std::string& from, const std::string& host, int port) {
  return cpx::client::connect_socket(cpx::client::Endpoint{host, port, false, {}, from});
}

struct Counts {
  std::mutex m;
  std::map<std::string, uint64_t> answers;
  void add(const std::string& what) {
    std::lock_guard lock(m);
    ++answers[what];
  }
};

// Keeps `o.idle` idle connections open until `until`; returns {held on average, reopened}. epoll: the
// attacker must not spend the machine's CPU that the measurement is about.
std::pair<double, uint64_t> hold_idle(const Options& o, Clock::time_point until) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<int> port_of;  // by slot
  std::vector<int> fd_of;
  int next_source = 0;
  auto open_slot = [&](size_t slot) {
    for (int tries = 0; tries < o.sources; ++tries) {
      const int fd = connect_from(source(next_source++, o.sources), o.host, port_of[slot]);
      if (fd < 0) continue;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = slot;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      fd_of[slot] = fd;
      return;
    }
    fd_of[slot] = -1;
  };
  for (int i = 0; i < o.idle; ++i) {
    port_of.push_back(i % 2 ? o.fix_port : o.web_port);
    fd_of.push_back(-1);
    open_slot(static_cast<size_t>(i));
  }
  uint64_t reopened = 0, samples = 0;
  double held_sum = 0;
  size_t held = 0;
  for (int fd : fd_of) held += fd >= 0;
  std::vector<epoll_event> ready(1024);
  char buf[512];
  auto last_sample = Clock::now();
  while (Clock::now() < until) {
    const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 100);
    for (int k = 0; k < n; ++k) {
      const size_t slot = ready[static_cast<size_t>(k)].data.u64;
      const int fd = fd_of[slot];
      if (fd < 0) continue;
      const ssize_t got = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (got > 0 || (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) continue;  // (an error line) still open
      ::close(fd);  // also leaves the epoll set
      --held;
      open_slot(slot);
      if (fd_of[slot] >= 0) ++held;
      ++reopened;
    }
    if (Clock::now() - last_sample >= std::chrono::milliseconds(100)) {
      held_sum += static_cast<double>(held);
      ++samples;
      last_sample = Clock::now();
    }
  }
  for (int fd : fd_of)
    if (fd >= 0) ::close(fd);
  ::close(ep);
  return {samples ? held_sum / static_cast<double>(samples) : static_cast<double>(held), reopened};
}

void bad_logins(const Options& o, int thread, Clock::time_point until, Counts& counts) {
  const double per_thread = static_cast<double>(o.bad_logins) / o.threads;
  if (per_thread <= 0) return;
  const auto gap = std::chrono::duration<double>(1.0 / per_thread);
  auto next = Clock::now();
  uint64_t n = 0;
  while (Clock::now() < until) {
    std::this_thread::sleep_until(next);
    next += std::chrono::duration_cast<Clock::duration>(gap);
    const std::string from = source(static_cast<int>(n * o.threads + thread) * 7919, o.sources);
    ++n;
    if (n % 2 || o.fix_comp_id.empty()) {
      cpx::client::Endpoint at{o.host, o.web_port, false, {}, from};
      auto ws = cpx::client::WsClient::connect(at);
      if (!ws) {
        counts.add("ws_connect_failed");
        continue;
      }
      auto r = (*ws)->login("key-guess-" + std::to_string(n), "guess", 5000);
      std::string why = r ? "ws_logged_in?!" : r.error().text;
      const size_t at_reason = why.find("\"reason\":\"");
      counts.add(at_reason == std::string::npos ? "ws_" + why.substr(0, 40)
                                                : "ws_" + why.substr(at_reason + 10, why.find('"', at_reason + 10) - at_reason - 10));
    } else {
      auto c = cpx::client::Connection::open(cpx::client::Endpoint{o.host, o.fix_port, false, {}, from});
      if (!c) {
        counts.add("fix_connect_failed");
        continue;
      }
      cpx::client::FixWriter w(o.fix_comp_id, "CPX");
      std::string logon;
      w.append(logon, "A", "98=0\x01" "108=30\x01" "553=" + o.fix_user + "\x01" "554=guess" + std::to_string(n) + "\x01");
      (*c)->write_all(logon);
      cpx::client::FixReader reader;
      std::string_view msg;
      bool bad = false;
      std::string answer = "fix_closed_without_answer";
      char buf[2048];
      for (;;) {
        const long got = (*c)->read_some(buf, sizeof buf, 10000);
        if (got <= 0) break;
        reader.feed(buf, static_cast<size_t>(got));
        if (reader.next(msg, bad)) {
          const std::string text(cpx::client::fix_field(msg, 58));
          const size_t colon = text.find(": ");
          answer = "fix_" + (colon == std::string::npos ? text : text.substr(colon + 2, text.find(':', colon + 2) - colon - 2));
          break;
        }
      }
      counts.add(answer);
    }
  }
}

void usage() {
  std::fprintf(stderr,
               "usage: cpx-abuse --web-port N --fix-port N [--fix-comp-id ID] [--fix-user NAME] [--idle N] [--bad-logins PER_S]\n"
               "                 [--sources N] [--threads N] [--duration S] [--host 127.0.0.1]\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-abuse")) return 0;
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") o.host = next();
    else if (a == "--web-port") o.web_port = std::atoi(next().c_str());
    else if (a == "--fix-port") o.fix_port = std::atoi(next().c_str());
    else if (a == "--fix-comp-id") o.fix_comp_id = next();
    else if (a == "--fix-user") o.fix_user = next();
    else if (a == "--idle") o.idle = std::atoi(next().c_str());
    else if (a == "--bad-logins") o.bad_logins = std::atoi(next().c_str());
    else if (a == "--sources") o.sources = std::max(1, std::atoi(next().c_str()));
    else if (a == "--threads") o.threads = std::max(1, std::atoi(next().c_str()));
    else if (a == "--duration") o.duration = std::atof(next().c_str());
    else {
      usage();
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (o.web_port <= 0 || o.fix_port <= 0) {
    usage();
    return 2;
  }
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  Counts counts;
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) threads.emplace_back([&, t] { bad_logins(o, t, until, counts); });
  const auto [held, reopened] = hold_idle(o, until);
  for (auto& t : threads) t.join();
  uint64_t logins = 0;
  std::string answers = "{";
  for (const auto& [what, n] : counts.answers) {
    if (answers.size() > 1) answers += ",";
    answers += "\"" + what + "\":" + std::to_string(n);
    logins += n;
  }
  answers += "}";
  std::printf("{\"idle_target\":%d,\"idle_held_avg\":%.0f,\"idle_reopened\":%llu,\"bad_logins\":%llu,\"bad_logins_per_s\":%.0f,"
              "\"sources\":%d,\"answers\":%s}\n",
              o.idle, held, static_cast<unsigned long long>(reopened), static_cast<unsigned long long>(logins),
              static_cast<double>(logins) / o.duration, o.sources, answers.c_str());
  return 0;
}
