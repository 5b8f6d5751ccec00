#pragma once
// cpxd's configuration (config/cpxd.json): every key optional, defaults fit a developer's machine.
#include <cstdint>
#include <string>
#include <vector>

#include "cpx/result.hpp"

namespace cpx::server {

struct FixSessionConfig {
  std::string target_comp_id;  // the client's SenderCompID
  std::string participant;     // the participant whose users alone may log on under it (its code)
  // "kind": "drop_copy": an operator's session that receives every participant's ExecutionReports
  // (docs/FIX.md §1) and takes no requests; the participant must hold the operator role.
  bool drop_copy = false;
};

struct ServerConfig {
  std::string data_dir = "var/cpxd";        // journal (RocksDB), users.json, audit.log
  std::string reference_dir;                // regions and chip classes (default: the source tree's config/)
  std::string bind = "127.0.0.1";
  int http_port = 8080;                     // HTTP + WebSocket, plain (0: any free port; -1: off)
  int https_port = 8443;                    // HTTPS + WSS (-1: off)
  int fix_port = 9878;                      // FIX over TCP (-1: off)
  int fix_tls_port = 9879;                  // FIX over TLS (-1: off)
  std::string tls_cert;                     // PEM (RSA: QuickFIX needs it); default data_dir/tls/server.crt,
  std::string tls_key;                      // created self-signed for localhost when missing

  bool tls_self_signed = true;              // create the pair above when missing

  std::string fix_sender_comp_id = "CPX";
  int fix_heartbeat_s = 30;
  bool fix_reset_on_logon = true;
  std::string fix_store = "memory";         // "memory" or "file" (under data_dir/fix)
  std::string fix_dictionary;               // default: the source tree's config/fix/FIX44-CPX.xml
  std::vector<FixSessionConfig> fix_sessions;
  bool fix_cancel_on_disconnect = true;
  // Conformance runs of the FIX session layer only (docs/FIX.md §10): the FIX application becomes QuickFIX's
  // acceptance-test echo and trades nothing. cpxd refuses it without --demo.
  bool fix_acceptance_echo = false;
  size_t fix_max_queued_messages = 20000;   // a FIX session further behind is logged out (slow_consumer)
  int fix_send_timeout_ms = 2000;           // a FIX send that makes no progress this long drops the session

  int64_t requests_per_s = 2000;            // per API key / FIX session, token bucket
  int64_t burst = 4000;
  // Public HTTP queries without a signature (/book, /trades, /bars...), per source address (IPv6: per
  // /64): each is answered on the engine thread, so one address cannot make it do unbounded work.
  int64_t public_requests_per_s = 50;
  int64_t public_burst = 200;
  // A participant's own-state queries (orders, fills, balances, contracts, statement; FIX H and AF) per API
  // key or FIX session: one can list up to max_open_orders orders, so they have a budget of their own.
  int64_t own_queries_per_s = 20;
  int64_t own_queries_burst = 50;
  size_t max_message_bytes = 64 * 1024;     // larger requests are refused (malformed_request)
  size_t max_frame_bytes = 1024 * 1024;     // larger WebSocket frames close the connection (1009)
  size_t max_outbound_bytes = 8 * 1024 * 1024;  // a client further behind is dropped (slow_consumer)
  int64_t auth_window_ms = 5000;

  // What one client can hold or try (docs/OPERATIONS.md, "Limits against abuse"). Connections of every
  // listener count together; the total is also kept below the process's descriptor limit at start.
  size_t max_connections = 10000;
  size_t max_connections_per_address = 256;
  int64_t login_timeout_ms = 10000;          // a WebSocket or FIX connection not logged on by then is closed
  int64_t http_idle_timeout_ms = 10000;      // an HTTP connection with no request for this long is closed
  // Failed logins per source address and per user name / API key: a burst, then one more per refill.
  int64_t login_address_burst = 20;
  int64_t login_address_refill_ms = 3000;
  int64_t login_user_burst = 5;
  int64_t login_user_refill_ms = 30000;
  // FIX passwords (PBKDF2) are checked on one worker thread, at most this many per second on average
  // (a burst of fix_logon_burst), with at most fix_logon_queue waiting; the rest are refused (login_busy).
  int64_t fix_logon_checks_per_s = 4;
  int64_t fix_logon_burst = 10;
  size_t fix_logon_queue = 64;
  int64_t history_retention_days = 31;       // closed orders and fills kept for participant queries
  int64_t audit_failures_per_s = 10;         // failed logins written one by one; the rest are counted
  bool ws_cancel_on_disconnect = true;
  int64_t ws_write_timeout_ms = 30000;      // a WebSocket write the client takes nothing of this long closes it
  int64_t ws_heartbeat_ms = 1000;           // a subscribed session that got nothing this long gets a heartbeat (0: none)

  // Rehearsal servers only: the operator may move the exchange's clock forward (cpx-admin clock advance)
  // to run delivery days and dispute windows in minutes. Never on a production market.
  bool rehearsal_clock = false;

  // The day-ahead auction (docs/PRODUCT.md §3.3): the server opens the next `auction_days_ahead` delivery days
  // itself, with gate closure at `auction_gate_hour` (CST) the day before each, and clears a day with the
  // solver as soon as its gate closes (a worker thread; the result goes through the journal like any
  // command). Off: operators open days with cpx-admin, clearing still runs at every gate.
  bool auction_schedule = true;
  int auction_gate_hour = 12;
  int auction_days_ahead = 1;
  double auction_time_limit_s = 300;  // the solver's budget per day for its MIP solves (elapsed seconds)

  // Commands between exchange snapshots (0: never). A snapshot stops the engine thread while it is taken
  // (it grows with the ledger); a million commands replay in about a second at recovery.
  uint64_t snapshot_every = 1000000;
  size_t max_batch = 4096;

  // Not a config key: cpxd --accept-torn-journal-tail, for one start after the operator decided
  // (docs/OPERATIONS.md, "A refused start").
  bool accept_torn_journal_tail = false;
};

// Reads a JSON config file; unknown keys are refused so that a typo does not pass silently.
Result<ServerConfig> load_server_config(const std::string& path);
// Resolves relative defaults (reference data, dictionary) against the source tree.
void fill_defaults(ServerConfig& c);

}  // namespace cpx::server
