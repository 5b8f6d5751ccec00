// cpx-admin: the operator's command line (docs/PRODUCT.md §9), over cpxd's signed POST /admin (and GET /instruments,
// and a participant's WebSocket for `order`). One subcommand per task of the exchange day; every one has
// --help, prints a readable answer or the server's JSON (--json), and exits with a code a script can test.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../client/http_client.hpp"
#include "cpx/time.hpp"
#include "../client/ws_client.hpp"
#include "cpx/version.hpp"

using nlohmann::json;
using namespace cpx::client;
using cpx::Result;
using cpx::format_iso_time;
using cpx::kNanosPerHour;
using cpx::parse_iso_time;

namespace {

// Exit codes (also in --help).
constexpr int kOk = 0;
constexpr int kRefused = 1;     // the exchange answered no (a reject, an unknown name, a wrong state)
constexpr int kUsage = 2;       // the command line is wrong
constexpr int kNoServer = 3;    // cannot connect, or the credentials are refused (401/403)
constexpr int kServerError = 4; // the server failed (5xx, no answer)

struct Args {
  std::vector<std::string> pos;
  std::map<std::string, std::string> opt;
  bool has(const std::string& k) const { return opt.count(k) > 0; }
  std::string get(const std::string& k, const std::string& dflt = {}) const {
    auto it = opt.find(k);
    return it == opt.end() ? dflt : it->second;
  }
};

struct Global {
  Endpoint at;
  std::string key, secret;
  bool json_out = false;
  bool csv = false;
};

struct Command {
  std::vector<std::string> words;  // e.g. {"users", "create"}
  std::string usage;               // after the words
  std::string help;
  std::vector<std::string> flags;  // accepted --options (value-taking unless in `switches`)
  std::vector<std::string> switches;
  size_t min_pos = 0, max_pos = 0;
  std::function<int(const Global&, const Args&)> run;
};

int usage_error(const std::string& what, const Command* c = nullptr) {
  std::fprintf(stderr, "cpx-admin: %s\n", what.c_str());
  if (c) {
    std::string w;
    for (const auto& x : c->words) w += x + " ";
    std::fprintf(stderr, "usage: cpx-admin %s%s   (cpx-admin %s--help)\n", w.c_str(), c->usage.c_str(), w.c_str());
  }
  return kUsage;
}

// ---- output ----
std::string cell(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void print_table(const json& rows, const std::vector<std::string>& cols) {
  std::vector<size_t> width(cols.size());
  for (size_t i = 0; i < cols.size(); ++i) width[i] = cols[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < cols.size(); ++i) width[i] = std::max(width[i], cell(r.value(cols[i], json(""))).size());
  auto line = [&](const std::function<std::string(size_t)>& text) {
    std::string out;
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string t = text(i);
      out += t + std::string(width[i] - t.size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line([&](size_t i) { return cols[i]; });
  for (const auto& r : rows) line([&](size_t i) { return cell(r.value(cols[i], json(""))); });
}

void print_object(const json& o) {
  for (auto it = o.begin(); it != o.end(); ++it)
    if (it.key() != "ev") std::printf("%s: %s\n", it.key().c_str(), cell(it.value()).c_str());
}

// The server's answer to a request: its status decides the exit code; `show` prints a success.
int finish(const Global& g, const Result<HttpReply>& r, const std::function<void(const json&)>& show) {
  if (!r) {
    std::fprintf(stderr, "cpx-admin: %s\n", r.error().text.c_str());
    return r.error().code == "timeout" ? kServerError : kNoServer;
  }
  const json body = json::parse(r->body, nullptr, false);
  const std::string reason = body.is_object() ? body.value("reason", "") : "";
  if (r->status == 401 || (r->status == 403 && reason == "role_missing")) {
    std::fprintf(stderr, "cpx-admin: refused (%d): %s\n", r->status, body.is_object() ? body.value("text", r->body).c_str() : r->body.c_str());
    if (r->status == 401) std::fprintf(stderr, "  check --key/--secret (or CPX_KEY/CPX_SECRET): they must be an operator's API key\n");
    return kNoServer;
  }
  if (r->status >= 500 || body.is_discarded()) {
    std::fprintf(stderr, "cpx-admin: the server failed (%d): %s\n", r->status, r->body.c_str());
    return kServerError;
  }
  if (r->status >= 400) {
    if (g.json_out) std::printf("%s\n", body.dump().c_str());
    std::fprintf(stderr, "cpx-admin: refused: %s: %s\n", body.value("reason", "").c_str(), body.value("text", "").c_str());
    return kRefused;
  }
  // An engine command answers {"events":[...]}: a reject among them is a refusal.
  if (body.contains("events")) {
    for (const auto& e : body["events"]) {
      const std::string ev = e.value("ev", "");
      if (ev == "rejected" || ev == "error") {
        if (g.json_out) std::printf("%s\n", body.dump().c_str());
        std::fprintf(stderr, "cpx-admin: refused: %s: %s\n", e.value("reason", "").c_str(), e.value("text", "").c_str());
        return kRefused;
      }
    }
  }
  if (g.json_out) {
    std::printf("%s\n", body.dump().c_str());
  } else {
    show(body);
  }
  return kOk;
}

void show_events(const json& body) {
  const json events = body.value("events", json::array());
  if (events.empty()) std::printf("done\n");  // applied; it produced no event addressed to the operator
  for (const auto& e : events) {
    std::string line = e.value("ev", "?");
    for (auto it = e.begin(); it != e.end(); ++it)
      if (it.key() != "ev") line += " " + it.key() + "=" + cell(it.value());
    std::printf("%s\n", line.c_str());
  }
}

int admin(const Global& g, const json& req, const std::function<void(const json&)>& show = show_events) {
  return finish(g, admin_call(g.at, g.key, g.secret, req.dump()), show);
}

// "26h", "90m", "3600s", "2d" -> seconds (0 when unreadable).
int64_t parse_duration(const std::string& s) {
  if (s.empty()) return 0;
  char* end = nullptr;
  const long long n = std::strtoll(s.c_str(), &end, 10);
  if (n <= 0 || end == s.c_str()) return 0;
  const std::string unit(end);
  if (unit == "s" || unit.empty()) return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  return 0;
}

bool is_int(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// One event of a participant's session: as the server sent it (--json) or as "ev key=value ...".
void print_event(const Global& g, const std::string& msg) {
  const json e = json::parse(msg, nullptr, false);
  if (g.json_out || !e.is_object()) {
    std::printf("%s\n", msg.c_str());
    return;
  }
  std::string line = e.value("ev", "?");
  for (auto it = e.begin(); it != e.end(); ++it)
    if (it.key() != "ev") line += " " + it.key() + "=" + cell(it.value());
  std::printf("%s\n", line.c_str());
}

// A participant's own API key for `order` and `disputes open`: --as-key/--as-secret, or (kept out of the
// process list and shell history) CPX_AS_KEY/CPX_AS_SECRET.
std::string as_credential(const Args& a, const char* option, const char* env) {
  if (a.has(option)) return a.get(option);
  const char* v = std::getenv(env);
  return v ? v : "";
}

// Sends one request over a participant's own WebSocket session and prints its answers.
int act(const Global& g, const Args& a, json req) {
  const std::string key = as_credential(a, "as-key", "CPX_AS_KEY"), secret = as_credential(a, "as-secret", "CPX_AS_SECRET");
  if (key.empty() || secret.empty())
    return usage_error("the participant's own API key is needed: --as-key KEY --as-secret SECRET, or CPX_AS_KEY and CPX_AS_SECRET");
  req["id"] = 1;
  auto ws = WsClient::connect(g.at);
  if (!ws) {
    std::fprintf(stderr, "cpx-admin: %s\n", ws.error().text.c_str());
    return kNoServer;
  }
  auto login = (*ws)->login(key, secret, 5000, /*keep_orders=*/true);
  if (!login) {
    std::fprintf(stderr, "cpx-admin: login refused: %s\n", login.error().text.c_str());
    return kNoServer;
  }
  (*ws)->send_text(req.dump());
  int rc = kOk;
  std::string msg;
  // The request's own answers come first; "done" or a refusal ends it, a fill or rest is printed too.
  for (int n = 0; n < 100; ++n) {
    if ((*ws)->next(msg, 5000) != WsClient::Read::message) break;
    const json e = json::parse(msg, nullptr, false);
    const std::string ev = e.value("ev", "");
    print_event(g, msg);
    if (ev == "rejected" || ev == "error") {
      std::fprintf(stderr, "cpx-admin: refused: %s: %s\n", e.value("reason", "").c_str(), e.value("text", "").c_str());
      rc = kRefused;
      break;
    }
    if (req["cmd"] != "new_order" || ev == "done" || ev == "cancelled" || ev == "expired") break;
    if (ev == "accepted") {
      // A new order may trade at once: show what follows within half a second, then stop.
      std::string more;
      while ((*ws)->next(more, 500) == WsClient::Read::message) {
        print_event(g, more);
        if (more.find("\"ev\":\"done\"") != std::string::npos) break;
      }
      break;
    }
  }
  (*ws)->close();
  return rc;
}

// The exchange day's tasks.
std::vector<Command> commands() {
  std::vector<Command> c;
  c.push_back({{"participants", "list"}, "", "Every participant with its kind, roles, cash, what open buys reserve, what is available and escrowed.",
               {}, {}, 0, 0, [](const Global& g, const Args&) {
                 return admin(g, {{"op", "participants"}}, [](const json& b) {
                   print_table(b["participants"], {"code", "kind", "roles", "cash", "reserved_by_open_buys", "available", "escrowed_unsettled", "open_orders"});
                 });
               }});
  c.push_back({{"participants", "add"}, "CODE --name NAME --kind KIND --roles ROLE[,ROLE] [--max-open-orders N] [--max-order-qty N]",
               "Adds a participant. KIND: cloud_vendor, state_operator, carrier, buyer. ROLES: trade_buy, trade_sell, "
               "carrier, operator, read_only. Then give it a user: cpx-admin users create.",
               {"name", "kind", "roles", "max-open-orders", "max-order-qty"}, {}, 1, 1, [](const Global& g, const Args& a) {
                 if (!a.has("name") || !a.has("kind") || !a.has("roles")) return usage_error("participants add needs --name, --kind and --roles");
                 json roles = json::array();
                 std::string r = a.get("roles");
                 for (size_t p = 0; p <= r.size();) {
                   size_t q = r.find(',', p);
                   if (q == std::string::npos) q = r.size();
                   if (q > p) roles.push_back(r.substr(p, q - p));
                   p = q + 1;
                 }
                 json req = {{"cmd", "add_participant"}, {"code", a.pos[0]}, {"name", a.get("name")}, {"kind", a.get("kind")}, {"roles", roles}};
                 if (a.has("max-open-orders")) req["max_open_orders"] = std::atoll(a.get("max-open-orders").c_str());
                 if (a.has("max-order-qty")) req["max_order_qty"] = std::atoll(a.get("max-order-qty").c_str());
                 return admin(g, req);
               }});
  c.push_back({{"users", "list"}, "", "Users, the participant each acts for, API key and whether enabled (never secrets).", {}, {}, 0, 0,
               [](const Global& g, const Args&) {
                 return admin(g, {{"op", "users"}}, [](const json& b) { print_table(b["users"], {"username", "participant", "api_key", "enabled"}); });
               }});
  c.push_back({{"users", "create"}, "USERNAME --participant CODE",
               "Creates a user for a participant with a new password (FIX Logon) and API key + secret (WebSocket/HTTP). "
               "They are shown once: store them.",
               {"participant"}, {}, 1, 1, [](const Global& g, const Args& a) {
                 if (!a.has("participant")) return usage_error("users create needs --participant CODE");
                 return admin(g, {{"op", "user_create"}, {"username", a.pos[0]}, {"participant", a.get("participant")}}, print_object);
               }});
  c.push_back({{"users", "rotate"}, "USERNAME", "New password, API key and secret for a user; the old ones stop working at once.", {}, {}, 1, 1,
               [](const Global& g, const Args& a) { return admin(g, {{"op", "user_rotate"}, {"username", a.pos[0]}}, print_object); }});
  c.push_back({{"users", "disable"}, "USERNAME", "The user can no longer log in (sessions already open stay until they log out).", {}, {}, 1, 1,
               [](const Global& g, const Args& a) { return admin(g, {{"op", "user_disable"}, {"username", a.pos[0]}}, print_object); }});
  c.push_back({{"users", "enable"}, "USERNAME", "Lets a disabled user log in again.", {}, {}, 1, 1,
               [](const Global& g, const Args& a) { return admin(g, {{"op", "user_enable"}, {"username", a.pos[0]}}, print_object); }});
  c.push_back({{"capacity", "register"}, "--supplier CODE --region REGION --class CLASS --devices N --from TIME --to TIME",
               "Registers a supplier's capacity (devices of a chip class in a region over [from, to), ISO 8601 times "
               "such as 2026-12-01T00:00:00+08:00). Sell orders are checked against it.",
               {"supplier", "region", "class", "devices", "from", "to"}, {}, 0, 0, [](const Global& g, const Args& a) {
                 for (const char* k : {"supplier", "region", "class", "devices", "from", "to"})
                   if (!a.has(k)) return usage_error(std::string("capacity register needs --") + k);
                 if (!is_int(a.get("devices"))) return usage_error("--devices is a whole number");
                 return admin(g, {{"cmd", "register_capacity"}, {"supplier", a.get("supplier")}, {"region", a.get("region")},
                                  {"class", a.get("class")}, {"devices", std::atoll(a.get("devices").c_str())},
                                  {"from", a.get("from")}, {"to", a.get("to")}});
               }});
  c.push_back({{"revenue-share", "set"}, "--supplier CODE PARTY=BPS [PARTY=BPS ...]",
               "Sets how a supplier's sales revenue is split (basis points summing to 10000), e.g. HWCLOUD=8000 GZBD=2000. "
               "Trades already done keep the split of their time.",
               {"supplier"}, {}, 1, 16, [](const Global& g, const Args& a) {
                 if (!a.has("supplier")) return usage_error("revenue-share set needs --supplier CODE");
                 json shares = json::object();
                 for (const auto& p : a.pos) {
                   const size_t eq = p.find('=');
                   if (eq == std::string::npos || !is_int(p.substr(eq + 1))) return usage_error("a share is PARTY=BPS, e.g. GZBD=2000: '" + p + "'");
                   shares[p.substr(0, eq)] = std::atoll(p.c_str() + eq + 1);
                 }
                 return admin(g, {{"cmd", "set_revenue_share"}, {"supplier", a.get("supplier")}, {"shares", shares}});
               }});
  for (const char* kind : {"deposit", "withdraw"}) {
    c.push_back({{"cash", kind}, "CODE AMOUNT",
                 std::string(kind) == "deposit" ? "Credits a participant's cash account from the bank (AMOUNT in CNY, e.g. 250000.00)."
                                                 : "Pays cash out to the bank; refused beyond what open buys leave available.",
                 {}, {}, 2, 2, [kind](const Global& g, const Args& a) {
                   return admin(g, {{"cmd", kind}, {"target", a.pos[0]}, {"amount", a.pos[1]}});
                 }});
  }
  c.push_back({{"instruments", "list"}, "", "Listed instruments with their state, delivery window and rules.", {}, {}, 0, 0,
               [](const Global& g, const Args&) {
                 return finish(g, http_call(g.at, "GET", "/instruments"), [](const json& b) {
                   print_table(b["instruments"], {"symbol", "state", "region", "class", "start", "end", "hours", "tick", "lot", "gate_closure", "reference_price"});
                 });
               }});
  c.push_back({{"network", "list"}, "", "The links between regions: one-way latency, capacity, transfer tariff and the carrier paid for it.",
               {}, {}, 0, 0, [](const Global& g, const Args&) {
                 return finish(g, http_call(g.at, "GET", "/network"), [](const json& b) {
                   print_table(b["links"], {"from", "to", "latency_ms", "capacity_gbps", "tariff_cny_per_gb", "carrier"});
                 });
               }});
  c.push_back({{"instruments", "add"}, "SYMBOL [--tick PRICE] [--lot N] [--max-order-qty N] [--price-band-pct P] [--gate-closure-minutes M] [--open-at TIME]",
               "Lists an instrument, e.g. NM.H100.D.2026-12-01 (region.class.D|H.delivery): the listing rules are its tick, lot, "
               "largest order, price band around the reference price and gate closure before delivery.",
               {"tick", "lot", "max-order-qty", "price-band-pct", "gate-closure-minutes", "open-at"}, {}, 1, 1,
               [](const Global& g, const Args& a) {
                 json req = {{"cmd", "list_instrument"}, {"symbol", a.pos[0]}};
                 if (a.has("tick")) req["tick"] = a.get("tick");
                 if (a.has("lot")) req["lot"] = std::atoll(a.get("lot").c_str());
                 if (a.has("max-order-qty")) req["max_order_qty"] = std::atoll(a.get("max-order-qty").c_str());
                 if (a.has("price-band-pct")) req["price_band_pct"] = a.get("price-band-pct");
                 if (a.has("gate-closure-minutes")) req["gate_closure_minutes"] = std::atoll(a.get("gate-closure-minutes").c_str());
                 if (a.has("open-at")) req["open_at"] = a.get("open-at");
                 return admin(g, req);
               }});
  c.push_back({{"rules", "fees"}, "--maker-bps N --taker-bps N", "Sets the exchange's fees in basis points of notional.",
               {"maker-bps", "taker-bps"}, {}, 0, 0, [](const Global& g, const Args& a) {
                 if (!a.has("maker-bps") || !a.has("taker-bps")) return usage_error("rules fees needs --maker-bps and --taker-bps");
                 return admin(g, {{"cmd", "set_fees"}, {"maker_bps", std::atoll(a.get("maker-bps").c_str())},
                                  {"taker_bps", std::atoll(a.get("taker-bps").c_str())}});
               }});
  c.push_back({{"rules", "reference-price"}, "SYMBOL PRICE", "Sets an instrument's reference price (the centre of its price band).", {}, {}, 2, 2,
               [](const Global& g, const Args& a) { return admin(g, {{"cmd", "set_reference_price"}, {"symbol", a.pos[0]}, {"price", a.pos[1]}}); }});
  for (const char* kind : {"halt", "resume"}) {
    c.push_back({{kind}, "SYMBOL", std::string(kind) == "halt" ? "Halts trading in an instrument (orders rest, nothing matches, new orders are refused)."
                                                               : "Resumes trading in a halted instrument.",
                 {}, {}, 1, 1, [kind](const Global& g, const Args& a) { return admin(g, {{"cmd", kind}, {"symbol", a.pos[0]}}); }});
  }
  c.push_back({{"mass-cancel"}, "[--participant CODE|*] [--symbol SYMBOL]",
               "Cancels open orders: of one participant or all (*, the default), in one instrument or all.",
               {"participant", "symbol"}, {}, 0, 0, [](const Global& g, const Args& a) {
                 json req = {{"cmd", "mass_cancel"}, {"target", a.get("participant", "*")}};
                 if (a.has("symbol")) req["symbol"] = a.get("symbol");
                 return admin(g, req);
               }});
  c.push_back({{"contracts", "list"}, "[--participant CODE] [--state escrowed|reported|disputed|settled]",
               "Trades as contracts: who, what, escrow state, delivered device-hours, when the payout is due.",
               {"participant", "state"}, {}, 0, 0, [](const Global& g, const Args& a) {
                 json req = {{"op", "contracts"}};
                 if (a.has("participant")) req["participant"] = a.get("participant");
                 if (a.has("state")) req["state"] = a.get("state");
                 return admin(g, req, [](const json& b) {
                   print_table(b["contracts"], {"trade_id", "symbol", "buyer", "seller", "qty", "hours", "price", "notional", "state", "delivered_device_hours"});
                 });
               }});
  c.push_back({{"delivery", "report"}, "TRADE_ID --delivered DEVICE_HOURS",
               "Reports, for the contract's seller, what a contract delivered (after its delivery window); the buyer's "
               "dispute window starts.",
               {"delivered"}, {}, 1, 1, [](const Global& g, const Args& a) {
                 if (!is_int(a.pos[0]) || !is_int(a.get("delivered"))) return usage_error("delivery report needs a TRADE_ID and --delivered DEVICE_HOURS (whole numbers)");
                 return admin(g, {{"cmd", "delivery_report"}, {"trade_id", std::atoll(a.pos[0].c_str())},
                                  {"delivered_device_hours", std::atoll(a.get("delivered").c_str())}});
               }});
  c.push_back({{"disputes", "list"}, "", "Contracts a buyer has disputed, waiting for the operator.", {}, {}, 0, 0,
               [](const Global& g, const Args&) {
                 return admin(g, {{"op", "contracts"}, {"state", "disputed"}}, [](const json& b) {
                   print_table(b["contracts"], {"trade_id", "symbol", "buyer", "seller", "contracted_device_hours", "delivered_device_hours"});
                 });
               }});
  c.push_back({{"disputes", "open"}, "TRADE_ID --as-key KEY --as-secret SECRET",
               "The buyer disputes a delivery report within its dispute window (with the buyer's own API key): the payout waits "
               "for the operator's resolution.",
               {"as-key", "as-secret"}, {}, 1, 1, [](const Global& g, const Args& a) {
                 if (!is_int(a.pos[0])) return usage_error("TRADE_ID is a whole number");
                 return act(g, a, {{"cmd", "dispute"}, {"trade_id", std::atoll(a.pos[0].c_str())}});
               }});
  c.push_back({{"disputes", "resolve"}, "TRADE_ID --delivered DEVICE_HOURS",
               "Settles a disputed contract on the device-hours the operator finds delivered: the supplier side is paid for those, "
               "the buyer refunded the rest.",
               {"delivered"}, {}, 1, 1, [](const Global& g, const Args& a) {
                 if (!is_int(a.pos[0]) || !is_int(a.get("delivered"))) return usage_error("disputes resolve needs a TRADE_ID and --delivered DEVICE_HOURS");
                 return admin(g, {{"cmd", "resolve_dispute"}, {"trade_id", std::atoll(a.pos[0].c_str())},
                                  {"delivered_device_hours", std::atoll(a.get("delivered").c_str())}});
               }});
  c.push_back({{"balances"}, "[CODE]", "Cash, reserved, available and escrowed per participant; the exchange's fees and total escrow.", {}, {}, 0, 1,
               [](const Global& g, const Args& a) {
                 json req = {{"op", "balances"}};
                 if (!a.pos.empty()) req["participant"] = a.pos[0];
                 return admin(g, req, [](const json& b) {
                   print_table(b["participants"], {"code", "cash", "reserved_by_open_buys", "available", "escrowed_unsettled"});
                   std::printf("exchange fees: %s   escrow held: %s\n", b.value("exchange_fees", "").c_str(), b.value("escrow_total", "").c_str());
                 });
               }});
  c.push_back({{"statement"}, "CODE [--csv]", "A participant's cash statement from the ledger: every transfer with a running balance.", {}, {"csv"}, 1, 1,
               [](const Global& g, const Args& a) {
                 const bool csv = a.has("csv") || g.csv;
                 return admin(g, {{"op", "statement"}, {"participant", a.pos[0]}, {"format", csv ? "csv" : "json"}}, [csv](const json& b) {
                   if (csv) {
                     std::string text = b.value("csv", "");
                     if (!text.empty() && text.back() != '\n') text += '\n';
                     std::fputs(text.c_str(), stdout);
                     return;
                   }
                   const json& s = b["statement"];
                   print_table(s.value("lines", json::array()), {"ts", "transfer_id", "kind", "counterparty", "debit", "credit", "balance"});
                   std::printf("closing balance: %s\n", cell(s.value("closing_balance", json(""))).c_str());
                 });
               }});
  c.push_back({{"audit", "verify"}, "", "Checks the server's hash-chained audit log entry by entry; exit 1 when the chain is broken.", {}, {}, 0, 0,
               [](const Global& g, const Args&) {
                 bool ok = true;
                 const int rc = admin(g, {{"op", "audit_verify"}}, [&](const json& b) {
                   ok = b.value("ok", false);
                   if (ok) {
                     std::printf("audit log intact: %llu entries, head %s\n", static_cast<unsigned long long>(b.value("entries", 0ull)),
                                 b.value("head_hash", "").c_str());
                   } else {
                     std::printf("audit log BROKEN at line %llu: %s\n", static_cast<unsigned long long>(b.value("first_bad_line", 0ull)),
                                 b.value("why", "").c_str());
                   }
                 });
                 return rc == kOk && !ok ? kRefused : rc;
               }});
  c.push_back({{"clock", "show"}, "", "The exchange's time, and whether it is a rehearsal server whose clock the operator may move.", {}, {}, 0, 0,
               [](const Global& g, const Args&) { return admin(g, {{"op", "clock"}}, print_object); }});
  c.push_back({{"clock", "advance"}, "DURATION",
               "Rehearsal servers only (config rehearsal_clock): moves the exchange's clock forward, e.g. 26h, 90m, 2d; "
               "expiries, gate closures and payouts due in between happen in order.",
               {}, {}, 1, 1, [](const Global& g, const Args& a) {
                 const int64_t s = parse_duration(a.pos[0]);
                 if (s <= 0) return usage_error("a duration is a number with s, m, h or d, e.g. 26h");
                 return admin(g, {{"op", "clock_advance"}, {"seconds", s}}, print_object);
               }});
  c.push_back({{"batch"}, "FILE [--keep-going]",
               "Sends every request of a JSON-lines file (docs/API.md requests with \"cmd\", or \"op\" requests) in order, with a "
               "progress line; stops at the first refusal unless --keep-going.",
               {}, {"keep-going"}, 1, 1, [](const Global& g, const Args& a) {
                 std::ifstream in(a.pos[0]);
                 if (!in) return usage_error("cannot read " + a.pos[0]);
                 std::vector<std::string> lines;
                 for (std::string l; std::getline(in, l);)
                   if (!l.empty() && l[0] != '#') lines.push_back(l);
                 const bool tty = isatty(STDERR_FILENO);
                 size_t ok = 0, refused = 0;
                 for (size_t i = 0; i < lines.size(); ++i) {
                   const json req = json::parse(lines[i], nullptr, false);
                   if (req.is_discarded()) return usage_error(a.pos[0] + ":" + std::to_string(i + 1) + ": not JSON");
                   Global quiet = g;
                   quiet.json_out = false;
                   const int rc = finish(quiet, admin_call(g.at, g.key, g.secret, req.dump()), [](const json&) {});
                   if (rc == kOk) {
                     ++ok;
                   } else if (rc == kRefused) {
                     ++refused;
                     std::fprintf(stderr, "  at %s:%zu\n", a.pos[0].c_str(), i + 1);
                     if (!a.has("keep-going")) return kRefused;
                   } else {
                     return rc;
                   }
                   if (tty) std::fprintf(stderr, "\r[%zu/%zu] ok %zu, refused %zu", i + 1, lines.size(), ok, refused);
                 }
                 if (tty) std::fprintf(stderr, "\n");
                 if (g.json_out) {
                   std::printf("%s\n", json{{"requests", lines.size()}, {"ok", ok}, {"refused", refused}}.dump().c_str());
                 } else {
                   std::printf("%zu requests: %zu ok, %zu refused\n", lines.size(), ok, refused);
                 }
                 return refused ? kRefused : kOk;
               }});
  c.push_back({{"order"}, "new SYMBOL buy|sell QTY PRICE [--tif day|gtc|ioc|fok] [--cl-ord-id ID] | cancel ORDER_ID  --as-key KEY --as-secret SECRET",
               "Trades as a participant over its WebSocket session (its own API key, not the operator's): places or cancels one "
               "order and prints the events until the request is answered.",
               {"as-key", "as-secret", "tif", "cl-ord-id"}, {}, 2, 5, [](const Global& g, const Args& a) {
                 json req;
                 if (a.pos[0] == "new" && a.pos.size() == 5) {
                   if (!is_int(a.pos[3])) return usage_error("QTY is a whole number of devices");
                   req = {{"cmd", "new_order"}, {"symbol", a.pos[1]}, {"side", a.pos[2]}, {"qty", std::atoll(a.pos[3].c_str())}, {"price", a.pos[4]}};
                   if (a.has("tif")) req["tif"] = a.get("tif");
                   if (a.has("cl-ord-id")) req["cl_ord_id"] = a.get("cl-ord-id");
                 } else if (a.pos[0] == "cancel" && a.pos.size() == 2 && is_int(a.pos[1])) {
                   req = {{"cmd", "cancel"}, {"order_id", std::atoll(a.pos[1].c_str())}};
                 } else {
                   return usage_error("order new SYMBOL SIDE QTY PRICE, or order cancel ORDER_ID");
                 }
                 return act(g, a, req);
               }});
  // The day-ahead auction (docs/PRODUCT.md §3.3) and monitoring (§7).
  c.push_back({{"auction", "list"}, "", "Every delivery day's auction: state, gate closure, orders, and how its clearing went.", {}, {}, 0, 0,
               [](const Global& g, const Args&) {
                 return finish(g, http_call(g.at, "GET", "/auctions"), [](const json& b) {
                   print_table(b["auctions"], {"day", "state", "gate_closure", "offers", "bids", "clearing", "clearing_error"});
                 });
               }});
  c.push_back({{"auction", "show"}, "DAY", "One day's auction (DAY = YYYY-MM-DD): state, solver figures and, once cleared, the zone prices per hour and congested links.",
               {}, {}, 1, 1, [](const Global& g, const Args& a) {
                 return finish(g, http_call(g.at, "GET", "/auction/" + a.pos[0]), [](const json& b) {
                   std::printf("day %s: %s (gate %s), %lld offers, %lld bids", b.value("day", "").c_str(), b.value("state", "").c_str(),
                               b.value("gate_closure", "").c_str(), static_cast<long long>(b.value("offers", 0)),
                               static_cast<long long>(b.value("bids", 0)));
                   if (b.contains("clearing")) std::printf(", clearing %s", b["clearing"].get<std::string>().c_str());
                   std::printf("\n");
                   if (b.contains("solver")) print_object(b["solver"]);
                   if (b.contains("prices")) {
                     json traded = json::array();
                     for (const json& p : b["prices"]) if (p.value("traded_devices", 0) > 0) traded.push_back(p);
                     std::printf("zone prices where devices traded:\n");
                     print_table(traded, {"hour", "region", "class", "price_cny_per_scu_hour", "price_cny_per_device_hour", "traded_devices", "offered_devices"});
                   }
                   if (b.contains("flows")) {
                     json congested = json::array();
                     for (const json& f : b["flows"]) if (f.value("congestion_cny_per_gb", "0") != "0.00000000") congested.push_back(f);
                     std::printf("congested links:\n");
                     print_table(congested, {"hour", "from", "to", "carrier", "flow_gb", "capacity_gb", "congestion_cny_per_gb"});
                   }
                 });
               }});
  c.push_back({{"auction", "open"}, "DAY [--gate TIME]",
               "Opens the auction of delivery day DAY (YYYY-MM-DD) for orders until its gate closure (default: 12:00 CST the day before).",
               {"gate"}, {}, 1, 1, [](const Global& g, const Args& a) {
                 if (a.pos[0].size() != 10) return usage_error("DAY is YYYY-MM-DD");
                 std::string gate = a.get("gate");
                 if (gate.empty()) {
                   const auto day = parse_iso_time(a.pos[0]);
                   if (!day) return usage_error("DAY is YYYY-MM-DD");
                   gate = format_iso_time(*day - 12 * kNanosPerHour);
                 }
                 return admin(g, {{"cmd", "open_auction"}, {"day", a.pos[0]}, {"gate_closure", gate}});
               }});
  c.push_back({{"auction", "cancel"}, "DAY", "Cancels a closed, uncleared auction: nothing trades, every order's capacity and credit are released.",
               {}, {}, 1, 1, [](const Global& g, const Args& a) { return admin(g, {{"cmd", "cancel_auction"}, {"day", a.pos[0]}}); }});
  c.push_back({{"auction", "rerun"}, "DAY", "Solves a closed auction again (after its clearing failed or was refused).", {}, {}, 1, 1,
               [](const Global& g, const Args& a) { return admin(g, {{"op", "auction_rerun"}, {"day", a.pos[0]}}, print_object); }});
  c.push_back({{"auction", "export"}, "DAY --out DIR",
               "Writes what the engine solved for a closed day (DIR/day.json, the cpx-auction day file) and, once cleared, its "
               "result (DIR/result.json): `cpx-auction check DIR/day.json DIR/result.json` re-checks it offline.",
               {"out"}, {}, 1, 1, [](const Global& g, const Args& a) {
                 if (!a.has("out")) return usage_error("auction export needs --out DIR");
                 const std::string dir = a.get("out");
                 return admin(g, {{"op", "auction_export"}, {"day", a.pos[0]}}, [dir](const json& b) {
                   std::error_code ec;
                   std::filesystem::create_directories(dir, ec);
                   if (ec) {
                     std::fprintf(stderr, "cpx-admin: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
                     return;
                   }
                   auto write = [&](const std::string& name, const json& doc) {
                     std::ofstream f(dir + "/" + name);
                     f << doc.dump(2) << "\n";
                     std::printf("%s/%s\n", dir.c_str(), name.c_str());
                   };
                   write("day.json", b["file"]);
                   if (b.contains("result")) write("result.json", b["result"]);
                 });
               }});
  c.push_back({{"auction", "offer"}, "DAY REGION CLASS HOUR DEVICES PRICE [--cl-ord-id ID] --as-key KEY --as-secret SECRET",
               "A supplier offers DEVICES of a region x class for one hour (0-23, CST) of DAY at PRICE CNY per device-hour (its own API key).",
               {"as-key", "as-secret", "cl-ord-id"}, {}, 6, 6, [](const Global& g, const Args& a) {
                 if (!is_int(a.pos[3]) || !is_int(a.pos[4])) return usage_error("HOUR and DEVICES are whole numbers");
                 json req = {{"cmd", "auction_offer"}, {"day", a.pos[0]}, {"region", a.pos[1]}, {"class", a.pos[2]},
                             {"hour", std::atoll(a.pos[3].c_str())}, {"devices", std::atoll(a.pos[4].c_str())}, {"price", a.pos[5]}};
                 if (a.has("cl-ord-id")) req["cl_ord_id"] = a.get("cl-ord-id");
                 return act(g, a, req);
               }});
  c.push_back({{"auction", "bid"}, "DAY FIRST_HOUR HOURS SCU_PER_HOUR LIMIT --classes C[,C] --origin REGION [--regions R[,R]] [--min-ratio R] "
               "[--max-latency-ms N] [--residency local|J[,J]] [--min-green-share S] [--data-gb-per-hour N] [--cl-ord-id ID] --as-key KEY --as-secret SECRET",
               "A buyer's block: SCU_PER_HOUR over HOURS consecutive hours from FIRST_HOUR, at most LIMIT CNY per SCU-hour landed "
               "(compute + transfer), all or nothing unless --min-ratio (its own API key).",
               {"as-key", "as-secret", "cl-ord-id", "classes", "origin", "regions", "min-ratio", "max-latency-ms", "residency",
                "min-green-share", "data-gb-per-hour"},
               {}, 5, 5, [](const Global& g, const Args& a) {
                 if (!is_int(a.pos[1]) || !is_int(a.pos[2]) || !is_int(a.pos[3])) return usage_error("FIRST_HOUR, HOURS and SCU_PER_HOUR are whole numbers");
                 if (!a.has("classes") || !a.has("origin")) return usage_error("auction bid needs --classes and --origin");
                 auto list = [](const std::string& text) {
                   json out = json::array();
                   for (size_t p = 0; p <= text.size();) {
                     size_t q = text.find(',', p);
                     if (q == std::string::npos) q = text.size();
                     if (q > p) out.push_back(text.substr(p, q - p));
                     p = q + 1;
                   }
                   return out;
                 };
                 json req = {{"cmd", "auction_bid"}, {"day", a.pos[0]}, {"first_hour", std::atoll(a.pos[1].c_str())},
                             {"hours", std::atoll(a.pos[2].c_str())}, {"scu_per_hour", std::atoll(a.pos[3].c_str())},
                             {"limit_cny_per_scu_hour", a.pos[4]}, {"classes", list(a.get("classes"))}, {"origin", a.get("origin")}};
                 if (a.has("regions")) req["regions"] = list(a.get("regions"));
                 if (a.has("min-ratio")) req["min_ratio"] = a.get("min-ratio");
                 if (a.has("max-latency-ms")) {
                   if (!is_int(a.get("max-latency-ms"))) return usage_error("--max-latency-ms is a whole number");
                   req["max_latency_ms"] = std::atoll(a.get("max-latency-ms").c_str());
                 }
                 if (a.has("residency")) req["residency"] = a.get("residency") == "local" ? json("local") : list(a.get("residency"));
                 if (a.has("min-green-share")) req["min_green_share"] = a.get("min-green-share");
                 if (a.has("data-gb-per-hour")) {
                   if (!is_int(a.get("data-gb-per-hour"))) return usage_error("--data-gb-per-hour is a whole number");
                   req["data_gb_per_hour"] = std::atoll(a.get("data-gb-per-hour").c_str());
                 }
                 if (a.has("cl-ord-id")) req["cl_ord_id"] = a.get("cl-ord-id");
                 return act(g, a, req);
               }});
  c.push_back({{"auction", "withdraw"}, "DAY ORDER_ID --as-key KEY --as-secret SECRET", "Withdraws one's own auction offer or bid before the gate.",
               {"as-key", "as-secret"}, {}, 2, 2, [](const Global& g, const Args& a) {
                 if (!is_int(a.pos[1])) return usage_error("ORDER_ID is a whole number");
                 return act(g, a, {{"cmd", "cancel_auction_order"}, {"day", a.pos[0]}, {"order_id", std::atoll(a.pos[1].c_str())}});
               }});
  c.push_back({{"monitor"}, "[--from TIME] [--to TIME]",
               "Capacity per region x class over a window (default: today, CST): device-hours registered, offered, sold, and utilisation.",
               {"from", "to"}, {}, 0, 0, [](const Global& g, const Args& a) {
                 auto escaped = [](std::string v) {
                   for (size_t i = 0; (i = v.find('+', i)) != std::string::npos; i += 3) v.replace(i, 1, "%2B");
                   return v;
                 };
                 std::string path = "/monitor";
                 if (a.has("from")) path += "?from=" + escaped(a.get("from"));
                 if (a.has("to")) path += std::string(a.has("from") ? "&" : "?") + "to=" + escaped(a.get("to"));
                 return finish(g, http_call(g.at, "GET", path), [](const json& b) {
                   std::printf("from %s to %s\n", b.value("from", "").c_str(), b.value("to", "").c_str());
                   print_table(b["zones"], {"region", "class", "registered_device_hours", "offered_device_hours", "sold_device_hours", "utilisation"});
                 });
               }});
  return c;
}

void print_help(const std::vector<Command>& cmds) {
  std::printf(
      "cpx-admin: the CPX operator's command line (docs/OPERATIONS.md)\n\n"
      "usage: cpx-admin [--url URL] [--key KEY --secret SECRET] [--cacert FILE] [--json] COMMAND ... [--help]\n\n"
      "  --url      the server, http://HOST:PORT or https://HOST:PORT (default $CPX_URL or http://127.0.0.1:8080)\n"
      "  --key, --secret   an operator's API key and secret (default $CPX_KEY, $CPX_SECRET)\n"
      "  --cacert   https: trust this certificate (cpxd's self-signed one is var/cpxd/tls/server.crt)\n"
      "  --json     print the server's JSON answer instead of a table\n\n"
      "commands:\n");
  for (const auto& c : cmds) {
    std::string w;
    for (const auto& x : c.words) w += x + " ";
    std::printf("  %s%s\n", w.c_str(), c.usage.c_str());
  }
  std::printf(
      "\nexit codes: 0 done; 1 the exchange refused (reason printed); 2 wrong command line; 3 no server or\n"
      "credentials refused; 4 the server failed.\n");
}

void print_command_help(const Command& c) {
  std::string w;
  for (const auto& x : c.words) w += x + " ";
  std::printf("usage: cpx-admin %s%s\n\n%s\n", w.c_str(), c.usage.c_str(), c.help.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (cpx::asked_for_version(argc, argv, "cpx-admin")) return 0;
  const std::vector<Command> cmds = commands();
  Global g;
  std::string url = std::getenv("CPX_URL") ? std::getenv("CPX_URL") : "http://127.0.0.1:8080";
  g.key = std::getenv("CPX_KEY") ? std::getenv("CPX_KEY") : "";
  g.secret = std::getenv("CPX_SECRET") ? std::getenv("CPX_SECRET") : "";
  std::vector<std::string> rest;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      help = true;
    } else if (a == "--json") {
      g.json_out = true;
    } else if (a == "--url" && rest.empty()) {
      if (!value(url)) return usage_error("--url needs a value");
    } else if (a == "--key" && rest.empty()) {
      if (!value(g.key)) return usage_error("--key needs a value");
    } else if (a == "--secret" && rest.empty()) {
      if (!value(g.secret)) return usage_error("--secret needs a value");
    } else if (a == "--cacert" && rest.empty()) {
      if (!value(g.at.ca_file)) return usage_error("--cacert needs a file");
    } else {
      rest.push_back(a);
    }
  }
  // The longest command whose words start the rest.
  const Command* cmd = nullptr;
  for (const auto& c : cmds) {
    if (c.words.size() > rest.size()) continue;
    bool match = true;
    for (size_t i = 0; i < c.words.size(); ++i) match = match && rest[i] == c.words[i];
    if (match && (!cmd || c.words.size() > cmd->words.size())) cmd = &c;
  }
  if (!cmd) {
    if (help || rest.empty()) {
      print_help(cmds);
      return help ? kOk : kUsage;
    }
    std::vector<std::string> near;
    for (const auto& c : cmds)
      if (c.words[0] == rest[0]) near.push_back(c.words.size() > 1 ? c.words[0] + " " + c.words[1] : c.words[0]);
    std::string hint = near.empty() ? "see cpx-admin --help" : "did you mean:";
    for (const auto& n : near) hint += " '" + n + "'";
    return usage_error("unknown command '" + rest[0] + (rest.size() > 1 ? " " + rest[1] : "") + "'; " + hint);
  }
  if (help) {
    print_command_help(*cmd);
    return kOk;
  }
  // URL.
  if (url.rfind("https://", 0) == 0) {
    g.at.tls = true;
    url = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    url = url.substr(7);
  } else {
    return usage_error("--url is http://HOST:PORT or https://HOST:PORT");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  const size_t colon = url.rfind(':');
  g.at.host = colon == std::string::npos ? url : url.substr(0, colon);
  g.at.port = colon == std::string::npos ? (g.at.tls ? 443 : 80) : std::atoi(url.c_str() + colon + 1);
  if (g.at.port <= 0) return usage_error("--url has no valid port");

  Args args;
  for (size_t i = cmd->words.size(); i < rest.size(); ++i) {
    const std::string& a = rest[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      const std::string k = a.substr(2);
      if (std::find(cmd->switches.begin(), cmd->switches.end(), k) != cmd->switches.end()) {
        args.opt[k] = "1";
      } else if (std::find(cmd->flags.begin(), cmd->flags.end(), k) != cmd->flags.end()) {
        if (i + 1 >= rest.size()) return usage_error("--" + k + " needs a value", cmd);
        args.opt[k] = rest[++i];
      } else {
        return usage_error("unknown option --" + k, cmd);
      }
    } else {
      args.pos.push_back(a);
    }
  }
  if (args.pos.size() < cmd->min_pos || args.pos.size() > cmd->max_pos) return usage_error("wrong number of arguments", cmd);
  // Public GET endpoints need no key; a participant's own requests need only its own (--as-key).
  const std::string w0 = cmd->words[0], w1 = cmd->words.size() > 1 ? cmd->words[1] : "";
  const bool public_read = (w1 == "list" && (w0 == "instruments" || w0 == "network")) ||
                           (w0 == "auction" && (w1 == "list" || w1 == "show")) || w0 == "monitor";
  const bool needs_operator = !public_read;
  const bool as_participant = w0 == "order" || (w0 == "disputes" && w1 == "open") ||
                              (w0 == "auction" && (w1 == "offer" || w1 == "bid" || w1 == "withdraw"));
  if (needs_operator && !as_participant && (g.key.empty() || g.secret.empty()))
    return usage_error("an operator's API key is needed: --key KEY --secret SECRET, or set CPX_KEY and CPX_SECRET "
                       "(the demo's operator: key-ops1 / secret-ops1)");
  return cmd->run(g, args);
}
