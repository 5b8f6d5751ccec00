#pragma once
// The operator's requests that are not engine commands (docs/PRODUCT.md §9: cpx-admin): users and their
// credentials, participants with balances, ledger statements, contracts awaiting delivery, audit-log
// verification. A POST /admin body with "op" is one of these; one with "cmd" goes to the engine.
// Runs on the engine thread, which owns the exchange and the ledger it reads.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/server_core.hpp"

namespace cpx::server {

struct AdminAnswer {
  int http_status = 200;
  std::string body;  // one JSON object
};

// nullopt when `body` is not an "op" request (then it is an engine command). `actor` is the operator's
// username (audit).
// `now` is the request's time; commands an op needs applied go to `out` (the clock's AdvanceTime).
std::optional<AdminAnswer> run_admin_op(ServerCore& core, std::string_view body, const std::string& actor, Timestamp now,
                                        std::vector<Command>& out);

// One contract as the operator's `contracts` op and a participant's own contracts (GET /contracts) show
// it: parties, economics, and its delivery, dispute and payout state. Engine thread.
nlohmann::json contract_json(const persistence::Exchange& x, const persistence::Contract& k);

// Users, credentials and the audit log are not engine state, and hashing a password or reading the whole
// log takes long: these ops run on a worker thread, after the engine thread checked the operator's role
// (and, for user_create, that the participant exists: check_user_op, engine thread).
bool is_user_op(std::string_view op);
std::optional<AdminAnswer> check_user_op(ServerCore& core, const nlohmann::json& request);  // a refusal, if any
AdminAnswer run_user_op(ServerCore& core, const nlohmann::json& request, const std::string& actor);

}  // namespace cpx::server
