// cpx-load: a load generator for cpxd over WebSocket or FIX 4.4 (docs/PRODUCT.md §9). Each session is one thread
// that sends on a schedule (open loop at --rate, or closed loop with --rate 0 and a window) and reads its
// answers; latencies are send → durable acknowledgement (accepted, cancelled or rejected: cpxd answers only
// after the journal write) and, for orders that cross, send → first fill. One JSON object on stdout; a progress line on a terminal.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../client/fix_wire.hpp"
#include "../client/http_client.hpp"
#include "../client/ws_client.hpp"
#include "cpx/version.hpp"

using namespace cpx::client;

namespace {

int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Options {
  std::string proto = "ws";
  std::string host = "127.0.0.1";
  int port = 0;
  int sessions = 2;
  double rate = 10000;  // orders per second over all sessions; 0 = as fast as the window allows
  int window = 512;     // closed loop: requests in flight per session
  double duration = 10;
  double warmup = 1;
  std::string symbol;
  int place = 50, cancel = 45, cross = 5;  // the order mix, in parts
  int max_open = 500;                      // resting orders per session before it must cancel
  std::vector<std::string> creds;          // ws KEY:SECRET[:buy|sell]; fix USER:PASSWORD:COMPID[:buy|sell]
  uint64_t seed = 1;
  std::string scenario;
  bool progress = isatty(STDERR_FILENO);
};

struct Totals {
  std::atomic<uint64_t> sent{0}, acked{0}, rejected{0}, fills{0};
};

struct Order {
  int64_t sent = 0;         // mono ns of the new order
  int64_t cancel_sent = 0;  // of its cancel
  bool measured = false;    // after the warm-up
  bool filled = false;
  bool open = false;
  bool aggressive = false;  // an IOC that crosses: its send -> fill is a latency (a resting order's is not)
};

// One session: a protocol, its orders and its latencies.
class Session {
 public:
  Session(const Options& o, int index, std::string a, std::string b, std::string c, bool sell, Totals& t)
      : o_(o), index_(index), prefix_(run_prefix(o.proto, index)), a_(std::move(a)), b_(std::move(b)), c_(std::move(c)), sell_(sell), totals_(t),
        rng_(o.seed * 7919 + static_cast<uint64_t>(index)), fix_(c_, "CPX") {}

  std::string connect() {
    Endpoint at{o_.host, o_.port, false, "", ""};
    if (o_.proto == "ws") {
      auto ws = WsClient::connect(at);
      if (!ws) return ws.error().text;
      ws_ = std::move(*ws);
      auto login = ws_->login(a_, b_);
      if (!login) return "login refused for " + a_ + ": " + login.error().text;
      // Fills of resting orders caused by other sessions come only on the executions feed (API §6.6).
      if (!ws_->send_text("{\"op\":\"subscribe\",\"channel\":\"executions\"}")) return "closed after login";
      std::string m;
      while (ws_->next(m, 5000) == WsClient::Read::message)
        if (m.find("\"ev\":\"subscribed\"") != std::string::npos) return {};
      return "no answer to the executions subscription";
    }
    auto conn = Connection::open(at);
    if (!conn) return conn.error().text;
    conn_ = std::move(*conn);
    std::string out;
    fix_.append(out, "A", "98=0\x01" "108=30\x01" "141=Y\x01" "553=" + a_ + "\x01" "554=" + b_ + "\x01");
    if (!conn_->write_all(out)) return "FIX connection closed";
    const int64_t deadline = mono_ns() + 5'000'000'000;
    while (mono_ns() < deadline) {
      std::string_view m;
      bool bad = false;
      if (read_fix(m, bad, 500)) {
        const auto type = fix_field(m, 35);
        if (type == "A") return {};
        if (type == "5") return "FIX logon refused: " + std::string(fix_field(m, 58));
      }
      if (bad) return "not FIX from the server";
    }
    return "no FIX Logon answer";
  }

  void run(int64_t start, int64_t stop, int64_t measure_from) {
    const double per_ns = o_.rate / o_.sessions / 1e9;
    std::vector<std::string> batch;
    std::string out;
    while (true) {
      const int64_t now = mono_ns();
      if (now >= stop) break;
      // How many requests are due now.
      uint64_t due;
      if (o_.rate > 0) {
        due = static_cast<uint64_t>(static_cast<double>(now - start) * per_ns);
      } else {
        due = answered_ + static_cast<uint64_t>(o_.window);
      }
      batch.clear();
      out.clear();
      while (sent_ < due && batch.size() < 256) {
        make_request(now, now >= measure_from, out, batch);
        ++sent_;
      }
      if (!batch.empty() || !out.empty()) {
        const bool ok = o_.proto == "ws" ? ws_->send_texts(batch.data(), batch.size()) : conn_->write_all(out);
        if (!ok) {
          error_ = "the server closed the session";
          break;
        }
        totals_.sent.fetch_add(o_.proto == "ws" ? batch.size() : fix_batch_, std::memory_order_relaxed);
        fix_batch_ = 0;
      }
      // Read until the next request is due (at most 1 ms: the schedule is in nanoseconds).
      read_answers(1);
    }
    // Drain: answers to what was sent, for up to two seconds.
    const int64_t drain_until = mono_ns() + 2'000'000'000;
    while (answered_ < sent_ && mono_ns() < drain_until && error_.empty()) read_answers(50);
  }

  void close() {
    if (ws_) ws_->close();
    if (conn_) {
      std::string out;
      fix_.append(out, "5", "");
      conn_->write_all(out);
      conn_->shutdown();
    }
  }

  std::vector<uint32_t> ack_us, fill_us;
  std::map<std::string, uint64_t> rejects;
  uint64_t sent_ = 0, answered_ = 0;
  std::string error_;

 private:
  void make_request(int64_t now, bool measured, std::string& fix_out, std::vector<std::string>& ws_out) {
    const int total = o_.place + o_.cancel + o_.cross;
    int pick = static_cast<int>(rng_() % static_cast<uint64_t>(total));
    enum { kPlace, kCancel, kCross } kind = pick < o_.place ? kPlace : pick < o_.place + o_.cancel ? kCancel : kCross;
    if (kind == kCancel && open_.empty()) kind = kPlace;
    if (kind == kPlace && static_cast<int>(open_.size()) >= o_.max_open) kind = kCancel;
    const std::string side = sell_ ? "sell" : "buy";
    if (kind == kCancel) {
      const uint64_t n = open_.front();
      open_.pop_front();
      orders_[n].cancel_sent = now;
      orders_[n].measured = measured;
      const std::string id = cl_ord_id(n);
      if (o_.proto == "ws") {
        ws_out.push_back("{\"cmd\":\"cancel\",\"orig_cl_ord_id\":\"" + id + "\"}");
      } else {
        fix_.append(fix_out, "F", "11=" + id + "c\x01" "41=" + id + "\x01" "55=" + o_.symbol + "\x01" "54=" + (sell_ ? "2" : "1") +
                                      "\x01" "60=" + fix_timestamp_now() + "\x01");
        ++fix_batch_;
      }
      return;
    }
    const uint64_t n = orders_.size();
    orders_.push_back(Order{now, 0, measured, false, kind == kPlace, kind == kCross});
    if (kind == kPlace) open_.push_back(n);
    // Resting buys at 10.00-10.49, sells at 10.51-10.99 (a one-tick gap, no crossing); a cross is an IOC at
    // the far side of the other's range, so it fills against its best resting order.
    char price[16];
    const unsigned ticks = static_cast<unsigned>(rng_() % 49);
    if (kind == kPlace) {
      std::snprintf(price, sizeof price, "10.%02u", sell_ ? 51 + ticks : ticks);
    } else {
      std::snprintf(price, sizeof price, "%s", sell_ ? "10.00" : "10.99");
    }
    const std::string id = cl_ord_id(n);
    if (o_.proto == "ws") {
      ws_out.push_back("{\"cmd\":\"new_order\",\"cl_ord_id\":\"" + id + "\",\"symbol\":\"" + o_.symbol + "\",\"side\":\"" + side +
                       "\",\"price\":\"" + price + "\",\"qty\":1" + (kind == kCross ? ",\"tif\":\"ioc\"}" : "}"));
    } else {
      fix_.append(fix_out, "D", "11=" + id + "\x01" "55=" + o_.symbol + "\x01" "54=" + (sell_ ? "2" : "1") + "\x01" "60=" +
                                    fix_timestamp_now() + "\x01" "38=1\x01" "40=2\x01" "44=" + price + "\x01" "59=" +
                                    (kind == kCross ? "3" : "1") + "\x01");
      ++fix_batch_;
    }
  }

  // Client order ids are unique per participant per trading day (docs/API.md): each run and session has
  // its own prefix, "L" + the run's start (ms, base 36) + the protocol + the session index.
  static std::string run_prefix(const std::string& proto, int index) {
    static const int64_t started_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string tag;
    for (int64_t v = started_ms; v > 0; v /= 36) tag.insert(tag.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36]);
    return "L" + tag + proto.substr(0, 1) + std::to_string(index) + "-";
  }
  std::string cl_ord_id(uint64_t n) const { return prefix_ + std::to_string(n); }

  // The order number of one of this session's ids ("L<index>-<n>[c]"), or -1.
  int64_t order_of(std::string_view id) const {
    if (id.substr(0, prefix_.size()) != prefix_) return -1;
    const int64_t n = std::strtoll(std::string(id.substr(prefix_.size())).c_str(), nullptr, 10);
    return n >= 0 && n < static_cast<int64_t>(orders_.size()) ? n : -1;
  }

  void acked(int64_t n, bool cancel) {
    Order& o = orders_[static_cast<size_t>(n)];
    const int64_t sent = cancel ? o.cancel_sent : o.sent;
    if (o.measured && sent > 0) ack_us.push_back(static_cast<uint32_t>((mono_ns() - sent) / 1000));
    ++answered_;
    totals_.acked.fetch_add(1, std::memory_order_relaxed);
  }
  void rejected(int64_t n, bool cancel, const std::string& reason) {
    if (n >= 0) {
      Order& o = orders_[static_cast<size_t>(n)];
      if (!cancel && o.open) {
        o.open = false;
        open_.erase(std::remove(open_.begin(), open_.end(), static_cast<uint64_t>(n)), open_.end());
      }
    }
    ++rejects[reason.empty() ? "unknown" : reason];
    ++answered_;
    totals_.rejected.fetch_add(1, std::memory_order_relaxed);
  }
  void filled(int64_t n) {
    Order& o = orders_[static_cast<size_t>(n)];
    if (!o.filled && o.measured && o.aggressive) fill_us.push_back(static_cast<uint32_t>((mono_ns() - o.sent) / 1000));
    o.filled = true;
    totals_.fills.fetch_add(1, std::memory_order_relaxed);
    if (o.open) {  // a resting order taken by the other side: it can no longer be cancelled
      o.open = false;
      open_.erase(std::remove(open_.begin(), open_.end(), static_cast<uint64_t>(n)), open_.end());
    }
  }

  static std::string_view json_str(std::string_view m, std::string_view key) {
    const std::string k = "\"" + std::string(key) + "\":\"";
    const size_t at = m.find(k);
    if (at == std::string_view::npos) return {};
    const size_t begin = at + k.size();
    return m.substr(begin, m.find('"', begin) - begin);
  }

  void read_answers(int timeout_ms) {
    if (o_.proto == "ws") {
      std::string m;
      int wait = timeout_ms;
      while (ws_->next(m, wait) == WsClient::Read::message) {
        wait = 0;
        const std::string_view ev = json_str(m, "ev");
        if (ev == "accepted") {
          if (int64_t n = order_of(json_str(m, "cl_ord_id")); n >= 0) acked(n, false);
        } else if (ev == "cancelled") {
          const int64_t n = order_of(json_str(m, "cl_ord_id"));
          if (n >= 0 && orders_[static_cast<size_t>(n)].cancel_sent > 0) acked(n, true);
        } else if (ev == "trade") {
          const int64_t n = order_of(json_str(m, sell_ ? "sell_cl_ord_id" : "buy_cl_ord_id"));
          if (n >= 0) filled(n);
        } else if (ev == "rejected" || ev == "error") {
          const std::string_view id = json_str(m, "cl_ord_id");
          const bool cancel = json_str(m, "cmd") == "cancel";
          rejected(order_of(id), cancel, std::string(json_str(m, "reason")));
        }
      }
      return;
    }
    std::string_view m;
    bool bad = false;
    int wait = timeout_ms;
    while (read_fix(m, bad, wait)) {
      wait = 0;
      const std::string_view type = fix_field(m, 35);
      if (type == "8") {
        const std::string_view exec = fix_field(m, 150);
        const std::string_view orig = fix_field(m, 41);
        const int64_t n = order_of(orig.empty() ? fix_field(m, 11) : orig);
        if (n < 0) continue;  // another session of the same participant
        if (exec == "0") acked(n, false);
        else if (exec == "F") filled(n);
        else if (exec == "4" && orders_[static_cast<size_t>(n)].cancel_sent > 0) acked(n, true);
        else if (exec == "8") rejected(n, false, std::string(fix_field(m, 20001)));
      } else if (type == "9") {
        rejected(order_of(fix_field(m, 41)), true, std::string(fix_field(m, 20001)));
      } else if (type == "1") {  // TestRequest -> Heartbeat
        std::string out;
        fix_.append(out, "0", "112=" + std::string(fix_field(m, 112)) + "\x01");
        conn_->write_all(out);
      } else if (type == "5") {
        error_ = "logged out: " + std::string(fix_field(m, 58));
        return;
      }
    }
    if (bad) error_ = "not FIX from the server";
  }

  bool read_fix(std::string_view& m, bool& bad, int timeout_ms) {
    if (reader_.next(m, bad)) return true;
    if (bad) return false;
    char buf[65536];
    const long n = conn_->read_some(buf, sizeof buf, timeout_ms);
    if (n == 0) error_ = "the server closed the FIX connection";
    if (n <= 0) return false;
    reader_.feed(buf, static_cast<size_t>(n));
    return reader_.next(m, bad);
  }

  const Options& o_;
  int index_;
  std::string prefix_;  // of this session's client order ids
  std::string a_, b_, c_;
  bool sell_;
  Totals& totals_;
  std::mt19937_64 rng_;
  std::unique_ptr<WsClient> ws_;
  std::unique_ptr<Connection> conn_;
  FixWriter fix_;
  FixReader reader_;
  size_t fix_batch_ = 0;
  std::vector<Order> orders_;
  std::deque<uint64_t> open_;
};

std::string percentiles(std::vector<uint32_t>& v) {
  if (v.empty()) return "{\"samples\":0}";
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))]; };
  char buf[256];
  std::snprintf(buf, sizeof buf, "{\"samples\":%zu,\"p50\":%u,\"p90\":%u,\"p99\":%u,\"p999\":%u,\"max\":%u}", v.size(), at(0.50),
                at(0.90), at(0.99), at(0.999), v.back());
  return buf;
}

int usage(const char* why) {
  if (why) std::fprintf(stderr, "cpx-load: %s\n", why);
  std::fprintf(stderr,
               "usage: cpx-load --proto ws|fix --port N --symbol SYMBOL --cred CRED [--cred CRED ...]\n"
               "                [--host H] [--sessions N] [--rate ORDERS_PER_S | --rate 0 --window N] [--duration S]\n"
               "                [--warmup S] [--mix PLACE,CANCEL,CROSS] [--max-open N] [--seed N] [--scenario NAME]\n\n"
               "  --cred     ws: KEY:SECRET[:buy|sell]; fix: USER:PASSWORD:COMPID[:buy|sell]; sessions take them in turn\n"
               "  --rate     open loop: orders per second over all sessions (default 10000); 0: closed loop, each\n"
               "             session keeps --window requests in flight (default 512)\n"
               "  --mix      parts of resting new orders, cancels of the oldest resting one, and IOC orders that cross\n"
               "             to the other side's resting orders (default 50,45,5)\n"
               "  --max-open resting orders per session before it cancels (default 500)\n\n"
               "Prints one JSON object: sent, acked, rejected (by reason), fills, rates, and latency percentiles in\n"
               "microseconds (send -> durable ack; send -> first fill of a crossing order), measured after --warmup seconds.\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-load")) return 0;
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "cpx-load: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") return usage(nullptr), 0;
    else if (a == "--proto") o.proto = val();
    else if (a == "--host") o.host = val();
    else if (a == "--port") o.port = std::atoi(val().c_str());
    else if (a == "--sessions") o.sessions = std::atoi(val().c_str());
    else if (a == "--rate") o.rate = std::atof(val().c_str());
    else if (a == "--window") o.window = std::atoi(val().c_str());
    else if (a == "--duration") o.duration = std::atof(val().c_str());
    else if (a == "--warmup") o.warmup = std::atof(val().c_str());
    else if (a == "--symbol") o.symbol = val();
    else if (a == "--cred") o.creds.push_back(val());
    else if (a == "--max-open") o.max_open = std::atoi(val().c_str());
    else if (a == "--seed") o.seed = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--scenario") o.scenario = val();
    else if (a == "--no-progress") o.progress = false;
    else if (a == "--mix") {
      if (std::sscanf(val().c_str(), "%d,%d,%d", &o.place, &o.cancel, &o.cross) != 3 || o.place < 0 || o.cancel < 0 || o.cross < 0 ||
          o.place + o.cancel + o.cross == 0)
        return usage("--mix is PLACE,CANCEL,CROSS, e.g. 50,45,5");
    } else return usage(("unknown option " + a).c_str());
  }
  if (o.proto != "ws" && o.proto != "fix") return usage("--proto is ws or fix");
  if (o.port <= 0 || o.symbol.empty() || o.creds.empty()) return usage("--port, --symbol and --cred are needed");
  if (o.sessions <= 0 || o.duration <= 0 || o.rate < 0 || o.window <= 0 || o.warmup < 0 || o.warmup >= o.duration)
    return usage("--sessions, --duration and --window must be positive, --rate not negative, --warmup below --duration");

  Totals totals;
  std::vector<std::unique_ptr<Session>> sessions;
  for (int s = 0; s < o.sessions; ++s) {
    std::vector<std::string> parts;
    const std::string& c = o.creds[static_cast<size_t>(s) % o.creds.size()];
    for (size_t p = 0; p <= c.size();) {
      size_t q = c.find(':', p);
      if (q == std::string::npos) q = c.size();
      parts.push_back(c.substr(p, q - p));
      p = q + 1;
    }
    const size_t need = o.proto == "ws" ? 2 : 3;
    if (parts.size() < need) return usage("a --cred is KEY:SECRET[:buy|sell] (ws) or USER:PASSWORD:COMPID[:buy|sell] (fix)");
    const bool sell = parts.size() > need && parts[need] == "sell";
    sessions.push_back(std::make_unique<Session>(o, s, parts[0], parts[1], need == 3 ? parts[2] : "", sell, totals));
    const std::string err = sessions.back()->connect();
    if (!err.empty()) {
      std::fprintf(stderr, "cpx-load: session %d: %s\n", s, err.c_str());
      return 3;
    }
  }
  const int64_t start = mono_ns() + 50'000'000;
  const int64_t stop = start + static_cast<int64_t>(o.duration * 1e9);
  const int64_t measure_from = start + static_cast<int64_t>(o.warmup * 1e9);
  std::vector<std::thread> threads;
  for (auto& s : sessions) threads.emplace_back([&, p = s.get()] {
    while (mono_ns() < start) std::this_thread::yield();
    p->run(start, stop, measure_from);
  });
  std::atomic<bool> running{true};
  std::thread progress([&] {
    uint64_t last_acked = 0;
    while (running.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
      if (!running.load() || !o.progress) continue;
      const uint64_t acked = totals.acked.load();
      std::fprintf(stderr, "\r[%5.1f s] sent %llu  acked %llu (%llu/s)  rejected %llu  fills %llu   ",
                   static_cast<double>(mono_ns() - start) / 1e9, static_cast<unsigned long long>(totals.sent.load()),
                   static_cast<unsigned long long>(acked), static_cast<unsigned long long>(acked - last_acked),
                   static_cast<unsigned long long>(totals.rejected.load()), static_cast<unsigned long long>(totals.fills.load()));
      last_acked = acked;
    }
  });
  for (auto& t : threads) t.join();
  running = false;
  progress.join();
  if (o.progress) std::fprintf(stderr, "\n");
  for (auto& s : sessions) s->close();

  std::vector<uint32_t> ack, fill;
  std::map<std::string, uint64_t> rejects;
  uint64_t sent = 0, answered = 0;
  std::string errors;
  for (auto& s : sessions) {
    ack.insert(ack.end(), s->ack_us.begin(), s->ack_us.end());
    fill.insert(fill.end(), s->fill_us.begin(), s->fill_us.end());
    for (const auto& [r, n] : s->rejects) rejects[r] += n;
    sent += s->sent_;
    answered += s->answered_;
    if (!s->error_.empty()) errors += (errors.empty() ? "" : "; ") + s->error_;
  }
  std::string rj = "{";
  for (const auto& [r, n] : rejects) rj += (rj.size() > 1 ? "," : "") + ("\"" + r + "\":" + std::to_string(n));
  rj += "}";
  const double secs = o.duration;
  std::printf("{\"scenario\":\"%s\",\"proto\":\"%s\",\"sessions\":%d,\"target_rate\":%.0f,\"duration_s\":%.1f,\"warmup_s\":%.1f,"
              "\"mix\":\"%d,%d,%d\",\"sent\":%llu,\"acked\":%llu,\"rejected\":%llu,\"fills\":%llu,\"unanswered\":%llu,"
              "\"sent_per_s\":%.0f,\"answered_per_s\":%.0f,\"ack_latency_us\":%s,\"fill_latency_us\":%s,\"rejects\":%s,\"errors\":\"%s\"}\n",
              o.scenario.c_str(), o.proto.c_str(), o.sessions, o.rate, o.duration, o.warmup, o.place, o.cancel, o.cross,
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(totals.acked.load()),
              static_cast<unsigned long long>(totals.rejected.load()), static_cast<unsigned long long>(totals.fills.load()),
              static_cast<unsigned long long>(sent - std::min(sent, answered)), static_cast<double>(sent) / secs,
              static_cast<double>(answered) / secs, percentiles(ack).c_str(), percentiles(fill).c_str(), rj.c_str(), errors.c_str());
  return errors.empty() && sent == answered ? 0 : 1;
}
