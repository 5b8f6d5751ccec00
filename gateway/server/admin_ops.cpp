#include "server/admin_ops.hpp"

#include "json/auction_file.hpp"

#include <nlohmann/json.hpp>

#include "auth/crypto.hpp"
#include "cpx/fixed_point.hpp"
#include "statement.hpp"

namespace cpx::server {

using nlohmann::json;

namespace {

AdminAnswer answer(json body) { return {200, body.dump()}; }
AdminAnswer refuse(int status, std::string_view reason, std::string_view text) {
  return {status, json{{"ev", "error"}, {"reason", reason}, {"text", text}}.dump()};
}
std::string money(Money m) { return format_fixed(m, 4); }

std::string field(const json& req, const char* name) {
  auto it = req.find(name);
  return it != req.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Usernames are what people type at a FIX Logon: keep them plain.
bool plain_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

json credentials(const std::string& username, const std::string& participant, const std::string& password,
                 const std::string& key, const std::string& secret) {
  return {{"ev", "credentials"}, {"username", username}, {"participant", participant}, {"password", password},
          {"api_key", key}, {"api_secret", secret},
          {"note", "shown once: the server keeps only the password's hash; store these now"}};
}

struct NewCredentials {
  std::string password = auth::to_hex(auth::random_bytes(12));
  std::string key = "key-" + auth::to_hex(auth::random_bytes(8));
  std::string secret = auth::to_hex(auth::random_bytes(32));
};

json participant_row(const persistence::Exchange& x, ParticipantId id, const Participant& p) {
  const persistence::Balances b = x.balances(id);  // the figures a participant's own GET /balances shows
  return {{"code", p.code},
          {"name", p.name},
          {"kind", to_string(p.kind)},
          {"roles", role_list(p.roles)},
          {"cash", money(b.cash)},
          {"reserved_by_open_buys", money(b.reserved_by_open_buys)},
          {"available", money(b.available)},
          {"escrowed_unsettled", money(b.escrowed_unsettled)},
          {"open_orders", b.open_orders}};
}

}  // namespace

json contract_json(const persistence::Exchange& x, const persistence::Contract& k) {
  const MatchingEngine& engine = x.engine();
  const auto code_of = [&](ParticipantId p) {
    const Participant* q = engine.participant(p);
    return q ? q->code : std::to_string(p);
  };
  const InstrumentInfo* info = engine.instrument(k.instrument);
  const Region* region = engine.region(k.region);
  const ChipClass* cls = engine.chip_class(k.chip_class);
  // Auction contracts have no book: their symbol names the zone and hour ("auction:NM.H100.2026-12-02T14").
  const std::string symbol = info ? info->symbol
                                  : "auction:" + (region ? region->code : std::string()) + "." + (cls ? cls->code : std::string()) +
                                        "." + format_iso_time(k.window_start).substr(0, 13);
  json transport = json::array();
  for (const TransportLeg& l : k.transport) transport.push_back({{"carrier", code_of(l.carrier)}, {"amount", money(l.amount)}});
  return {{"trade_id", k.trade_id}, {"symbol", symbol}, {"route_id", k.route_id}, {"transport", transport},
          {"buyer", code_of(k.buyer)}, {"seller", code_of(k.seller)}, {"qty", k.qty},
          {"hours", k.hours}, {"price", format_fixed(k.price, 4)}, {"notional", money(k.notional)},
          {"state", persistence::to_string(k.state)},
          {"contracted_device_hours", k.contracted_device_hours()},
          {"delivered_device_hours", k.delivered_device_hours}, {"payout_due", k.payout_due}};
}

std::optional<AdminAnswer> run_admin_op(ServerCore& core, std::string_view body, const std::string& actor, Timestamp now,
                                        std::vector<Command>& out) {
  const json req = json::parse(body, nullptr, false);
  if (req.is_discarded() || !req.is_object() || !req.contains("op")) return std::nullopt;
  if (!req["op"].is_string()) return refuse(400, "malformed_request", "\"op\" must be a string");
  const std::string op = req["op"].get<std::string>();
  if (is_user_op(op)) return refuse(500, "internal", "user operations do not run on the engine thread");
  persistence::Exchange& x = core.exchange();
  const MatchingEngine& engine = x.engine();
  const auto code_of = [&](ParticipantId p) {
    const Participant* q = engine.participant(p);
    return q ? q->code : std::to_string(p);
  };

  if (op == "participants" || op == "balances") {
    const std::string only = field(req, "participant");
    json rows = json::array();
    for (size_t i = 0; i < engine.participant_count(); ++i) {
      const auto id = static_cast<ParticipantId>(i);
      const Participant* p = engine.participant(id);
      if (!p || p->code.empty() || (!only.empty() && p->code != only)) continue;
      rows.push_back(participant_row(x, id, *p));
    }
    if (!only.empty() && rows.empty()) return refuse(404, "unknown_participant", "no participant '" + only + "'");
    const persistence::Account* fees = x.ledger().account(persistence::kExchangeFeesAccount);
    Money escrow = 0;
    for (const auto& [id, k] : x.contracts())
      if (k.state != persistence::ContractState::Settled) escrow += k.escrow();
    return answer({{"ev", op}, {"participants", rows}, {"exchange_fees", money(fees ? fees->balance() : 0)},
                   {"escrow_total", money(escrow)}});
  }
  if (op == "statement") {
    const std::string code = field(req, "participant");
    const ParticipantId p = engine.find_participant(code);
    if (p == kNoParticipant) return refuse(404, "unknown_participant", "no participant '" + code + "'");
    const std::string format = req.contains("format") ? field(req, "format") : std::string("json");
    if (format != "json" && format != "csv") return refuse(400, "malformed_request", "format is \"json\" or \"csv\"");
    const auto st = persistence::build_statement(x.ledger(), p, code, code_of);
    if (format == "csv") return answer({{"ev", "statement"}, {"participant", code}, {"csv", persistence::statement_csv(st)}});
    json doc = json::parse(persistence::statement_json(st), nullptr, false);
    return answer({{"ev", "statement"}, {"participant", code}, {"statement", doc}});
  }
  if (op == "contracts") {
    const std::string only = field(req, "participant");
    const std::string state = field(req, "state");
    json rows = json::array();
    for (const auto& [id, k] : x.contracts()) {
      if (!only.empty() && code_of(k.buyer) != only && code_of(k.seller) != only) continue;
      if (!state.empty() && persistence::to_string(k.state) != state) continue;
      rows.push_back(contract_json(x, k));
    }
    return answer({{"ev", "contracts"}, {"contracts", rows}});
  }
  if (op == "auction_export") {
    // What the engine solved (the day file of docs/AUCTION_FILES.md) and, once cleared, its result: the
    // operator can re-check or re-solve the day offline with cpx-auction.
    const std::string text = field(req, "day");
    const auto day = api::parse_auction_day(text);
    if (!day) return refuse(400, "malformed_request", "\"day\": the delivery day, YYYY-MM-DD");
    const AuctionDay* a = engine.auction(*day);
    if (!a) return refuse(404, "unknown_auction", "no auction for delivery day " + text);
    if (a->state == AuctionState::Open) return refuse(409, "auction_not_closed", "the day's gate has not closed: nothing is frozen yet");
    auto file = api::auction_day_file(engine, *a);
    if (!file) return refuse(500, file.error().code, file.error().text);
    json out = {{"ev", "auction_export"}, {"day", text}, {"state", to_string(a->state)},
                {"file", json::parse(api::write_auction_day(*file))}};
    if (a->state == AuctionState::Cleared) {
      auto input = api::auction_input_from_file(*file);
      if (!input) return refuse(500, input.error().code, input.error().text);
      out["result"] = json::parse(api::auction_result_json(*file, *input, a->result, nullptr));
    }
    return answer(out);
  }
  if (op == "auction_rerun") {
    const std::string text = field(req, "day");
    const auto day = parse_iso_time(text);
    if (!day || text.size() != 10) return refuse(400, "malformed_request", "\"day\": the delivery day, YYYY-MM-DD");
    if (!engine.auction(*day)) return refuse(404, "unknown_auction", "no auction for delivery day " + text);
    std::string why;
    if (!core.auctions().rerun(*day, why)) return refuse(409, "auction_not_closed", why);
    core.audit(actor, op, text);
    return answer({{"ev", "auction_rerun"}, {"day", text}, {"clearing", "queued"}});
  }
  if (op == "clock") return answer({{"ev", "clock"}, {"now", now}, {"now_text", format_iso_time(now)}, {"rehearsal", core.config().rehearsal_clock}});
  if (op == "clock_advance") {
    if (!core.config().rehearsal_clock)
      return refuse(403, "not_allowed", "the clock moves only on a rehearsal server (config rehearsal_clock: true)");
    const auto it = req.find("seconds");
    if (it == req.end() || !it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > 400LL * 86400)
      return refuse(400, "malformed_request", "\"seconds\": a whole number of seconds, 1 to 34560000 (400 days)");
    const int64_t ns = it->get<int64_t>() * 1'000'000'000LL;
    core.advance_clock(ns);
    out.push_back(AdvanceTime{now + ns});  // timers (gate closures, expiries, payouts) fire now, in order
    core.audit(actor, op, std::to_string(it->get<int64_t>()) + " s");
    return answer({{"ev", "clock"}, {"now", now + ns}, {"now_text", format_iso_time(now + ns)}, {"rehearsal", true}});
  }
  return refuse(400, "unknown_op",
                "unknown op '" + op + "': participants, balances, statement, contracts, users, user_create, user_rotate, "
                "user_disable, user_enable, clock, clock_advance, audit_verify, auction_rerun, auction_export");
}


bool is_user_op(std::string_view op) {
  return op == "users" || op == "user_create" || op == "user_rotate" || op == "user_disable" || op == "user_enable" ||
         op == "audit_verify";
}

std::optional<AdminAnswer> check_user_op(ServerCore& core, const nlohmann::json& req) {
  if (field(req, "op") != "user_create") return std::nullopt;
  const std::string participant = field(req, "participant");
  if (core.exchange().engine().find_participant(participant) == kNoParticipant)
    return refuse(404, "unknown_participant", "no participant '" + participant + "': add it first (cmd add_participant)");
  return std::nullopt;
}

AdminAnswer run_user_op(ServerCore& core, const nlohmann::json& req, const std::string& actor) {
  const std::string op = field(req, "op");
  if (op == "users") {
    json rows = json::array();
    for (const User& u : core.users().list())
      rows.push_back({{"username", u.username}, {"participant", u.participant}, {"api_key", u.api_key}, {"enabled", u.enabled}});
    return answer({{"ev", "users"}, {"users", rows}});
  }
  if (op == "user_create" || op == "user_rotate") {
    const std::string username = field(req, "username");
    if (!plain_name(username)) return refuse(400, "malformed_request", "\"username\": 1-64 letters, digits, '-', '_' or '.'");
    const std::optional<User> existing = core.users().find(username);
    std::string participant;
    if (op == "user_create") {
      if (existing) return refuse(409, "user_exists", "user '" + username + "' exists: rotate its credentials instead");
      participant = field(req, "participant");  // known: checked on the engine thread (check_user_op)
    } else {
      if (!existing) return refuse(404, "unknown_user", "no user '" + username + "'");
      participant = existing->participant;
    }
    const NewCredentials c;
    // Rotating a disabled user's credentials does not enable it.
    auto put = core.users().put(username, participant, c.password, c.key, c.secret, !existing || existing->enabled);
    if (!put) return refuse(500, "io_error", put.error().text);
    core.audit(actor, op, username + " for " + participant);  // never the secrets
    if (existing) core.credentials_revoked(username);  // sessions on the old credentials end now
    return answer(credentials(username, participant, c.password, c.key, c.secret));
  }
  if (op == "user_disable" || op == "user_enable") {
    const std::string username = field(req, "username");
    if (!core.users().find(username)) return refuse(404, "unknown_user", "no user '" + username + "'");
    auto set = core.users().set_enabled(username, op == "user_enable");
    if (!set) return refuse(500, "io_error", set.error().text);
    core.audit(actor, op, username);
    if (op == "user_disable") core.credentials_revoked(username);
    return answer({{"ev", "user"}, {"username", username}, {"enabled", op == "user_enable"}});
  }
  if (op == "audit_verify") {
    const auth::AuditVerdict v = core.verify_audit();
    return answer({{"ev", "audit"}, {"ok", v.ok}, {"entries", v.entries}, {"first_bad_line", v.first_bad},
                   {"why", v.why}, {"head_hash", v.head_hash}});
  }
  return refuse(400, "unknown_op", "unknown op '" + op + "'");
}

}  // namespace cpx::server
