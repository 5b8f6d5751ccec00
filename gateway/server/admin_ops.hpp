#pragma once
// The operator's requests that are not engine commands (DESIGN.md §9: cpx-admin): users and their
// credentials, participants with balances, ledger statements, contracts awaiting delivery, audit-log
// verification. A POST /admin body with "op" is one of these; one with "cmd" goes to the engine.
// Runs on the engine thread, which owns the exchange and the ledger it reads.
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace cpx::server
