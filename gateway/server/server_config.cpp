#include "server/server_config.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "json/config_loader.hpp"

namespace cpx::server {

using nlohmann::json;

void fill_defaults(ServerConfig& c) {
  if (c.reference_dir.empty()) c.reference_dir = api::default_config_dir();
  if (c.tls_cert.empty()) c.tls_cert = c.data_dir + "/tls/server.crt";
  if (c.tls_key.empty()) c.tls_key = c.data_dir + "/tls/server.key";
  if (c.fix_dictionary.empty()) c.fix_dictionary = api::default_config_dir() + "/fix/FIX44-CPX.xml";
}

Result<ServerConfig> load_server_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"config_missing", "cannot read the config file " + path};
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false, /*ignore_comments=*/true);
  if (doc.is_discarded() || !doc.is_object()) return Error{"bad_config", path + " is not a JSON object"};
  ServerConfig c;
  static const std::set<std::string> known = {
      "data_dir", "reference_dir", "bind", "http_port", "https_port", "fix_port", "fix_tls_port", "tls_cert",
      "tls_key", "tls_self_signed", "fix_sender_comp_id", "fix_heartbeat_s", "fix_reset_on_logon", "fix_store",
      "fix_dictionary", "fix_sessions", "fix_cancel_on_disconnect", "fix_acceptance_echo", "fix_max_queued_messages", "fix_send_timeout_ms", "requests_per_s", "burst", "public_requests_per_s", "public_burst", "own_queries_per_s", "own_queries_burst", "max_message_bytes",
      "max_frame_bytes", "max_outbound_bytes", "auth_window_ms", "ws_cancel_on_disconnect", "ws_write_timeout_ms", "ws_heartbeat_ms", "snapshot_every", "rehearsal_clock",
      "max_batch", "max_connections", "max_connections_per_address", "login_timeout_ms", "http_idle_timeout_ms",
      "login_address_burst", "login_address_refill_ms", "login_user_burst", "login_user_refill_ms", "fix_logon_checks_per_s",
      "fix_logon_burst", "fix_logon_queue", "audit_failures_per_s", "history_retention_days", "auction_schedule", "auction_gate_hour", "auction_days_ahead", "auction_time_limit_s", "comment"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!known.count(it.key())) return Error{"bad_config", path + ": unknown key \"" + it.key() + "\""};
  }
  try {
    c.data_dir = doc.value("data_dir", c.data_dir);
    c.reference_dir = doc.value("reference_dir", c.reference_dir);
    c.bind = doc.value("bind", c.bind);
    c.http_port = doc.value("http_port", c.http_port);
    c.https_port = doc.value("https_port", c.https_port);
    c.fix_port = doc.value("fix_port", c.fix_port);
    c.fix_tls_port = doc.value("fix_tls_port", c.fix_tls_port);
    c.tls_cert = doc.value("tls_cert", c.tls_cert);
    c.tls_key = doc.value("tls_key", c.tls_key);
    c.tls_self_signed = doc.value("tls_self_signed", c.tls_self_signed);
    c.fix_sender_comp_id = doc.value("fix_sender_comp_id", c.fix_sender_comp_id);
    c.fix_heartbeat_s = doc.value("fix_heartbeat_s", c.fix_heartbeat_s);
    c.fix_reset_on_logon = doc.value("fix_reset_on_logon", c.fix_reset_on_logon);
    c.fix_store = doc.value("fix_store", c.fix_store);
    c.fix_dictionary = doc.value("fix_dictionary", c.fix_dictionary);
    c.fix_cancel_on_disconnect = doc.value("fix_cancel_on_disconnect", c.fix_cancel_on_disconnect);
    c.fix_max_queued_messages = doc.value("fix_max_queued_messages", c.fix_max_queued_messages);
    c.fix_send_timeout_ms = doc.value("fix_send_timeout_ms", c.fix_send_timeout_ms);
    if (doc.contains("fix_sessions")) {
      // Each CompID belongs to one participant: only its users may log on under it (docs/FIX.md §1).
      for (const json& s : doc.at("fix_sessions")) {
        if (!s.is_object() || !s.contains("participant")) {
          return Error{"bad_config", path + ": every fix_sessions entry names its \"participant\" (the code whose users "
                                            "may log on under its target_comp_id)"};
        }
        const std::string kind = s.value("kind", std::string("trading"));
        if (kind != "trading" && kind != "drop_copy")
          return Error{"bad_config", path + ": a fix_sessions entry's \"kind\" is \"trading\" (default) or \"drop_copy\""};
        c.fix_sessions.push_back({s.at("target_comp_id").get<std::string>(), s.at("participant").get<std::string>(), kind == "drop_copy"});
      }
    }
    c.fix_acceptance_echo = doc.value("fix_acceptance_echo", c.fix_acceptance_echo);
    c.requests_per_s = doc.value("requests_per_s", c.requests_per_s);
    c.burst = doc.value("burst", c.burst);
    c.public_requests_per_s = doc.value("public_requests_per_s", c.public_requests_per_s);
    c.public_burst = doc.value("public_burst", c.public_burst);
    c.own_queries_per_s = doc.value("own_queries_per_s", c.own_queries_per_s);
    c.own_queries_burst = doc.value("own_queries_burst", c.own_queries_burst);
    c.max_message_bytes = doc.value("max_message_bytes", c.max_message_bytes);
    c.max_frame_bytes = doc.value("max_frame_bytes", c.max_frame_bytes);
    c.max_outbound_bytes = doc.value("max_outbound_bytes", c.max_outbound_bytes);
    c.auth_window_ms = doc.value("auth_window_ms", c.auth_window_ms);
    c.ws_cancel_on_disconnect = doc.value("ws_cancel_on_disconnect", c.ws_cancel_on_disconnect);
    c.ws_write_timeout_ms = doc.value("ws_write_timeout_ms", c.ws_write_timeout_ms);
    c.ws_heartbeat_ms = doc.value("ws_heartbeat_ms", c.ws_heartbeat_ms);
    c.max_connections = doc.value("max_connections", c.max_connections);
    c.max_connections_per_address = doc.value("max_connections_per_address", c.max_connections_per_address);
    c.login_timeout_ms = doc.value("login_timeout_ms", c.login_timeout_ms);
    c.http_idle_timeout_ms = doc.value("http_idle_timeout_ms", c.http_idle_timeout_ms);
    c.login_address_burst = doc.value("login_address_burst", c.login_address_burst);
    c.login_address_refill_ms = doc.value("login_address_refill_ms", c.login_address_refill_ms);
    c.login_user_burst = doc.value("login_user_burst", c.login_user_burst);
    c.login_user_refill_ms = doc.value("login_user_refill_ms", c.login_user_refill_ms);
    c.fix_logon_checks_per_s = doc.value("fix_logon_checks_per_s", c.fix_logon_checks_per_s);
    c.fix_logon_burst = doc.value("fix_logon_burst", c.fix_logon_burst);
    c.fix_logon_queue = doc.value("fix_logon_queue", c.fix_logon_queue);
    c.audit_failures_per_s = doc.value("audit_failures_per_s", c.audit_failures_per_s);
    c.history_retention_days = doc.value("history_retention_days", c.history_retention_days);
    c.snapshot_every = doc.value("snapshot_every", c.snapshot_every);
    c.rehearsal_clock = doc.value("rehearsal_clock", c.rehearsal_clock);
    c.max_batch = doc.value("max_batch", c.max_batch);
    c.auction_schedule = doc.value("auction_schedule", c.auction_schedule);
    c.auction_gate_hour = doc.value("auction_gate_hour", c.auction_gate_hour);
    c.auction_days_ahead = doc.value("auction_days_ahead", c.auction_days_ahead);
    c.auction_time_limit_s = doc.value("auction_time_limit_s", c.auction_time_limit_s);
  } catch (const json::exception& e) {
    return Error{"bad_config", path + ": " + e.what()};
  }
  if (c.fix_store != "memory" && c.fix_store != "file") return Error{"bad_config", path + ": fix_store is \"memory\" or \"file\""};
  if (c.requests_per_s < 0 || c.requests_per_s > 1'000'000) return Error{"bad_config", path + ": requests_per_s is 0 (unlimited) to 1000000"};
  if (c.public_requests_per_s < 0 || c.public_requests_per_s > 1'000'000 || c.public_burst < 1 || c.public_burst > 1'000'000)
    return Error{"bad_config", path + ": public_requests_per_s is 0 (unlimited) to 1000000, public_burst 1 to 1000000"};
  if (c.own_queries_per_s < 0 || c.own_queries_per_s > 1'000'000 || c.own_queries_burst < 1 || c.own_queries_burst > 1'000'000)
    return Error{"bad_config", path + ": own_queries_per_s is 0 (unlimited) to 1000000, own_queries_burst 1 to 1000000"};
  if (c.max_message_bytes == 0 || c.max_message_bytes > c.max_frame_bytes) return Error{"bad_config", path + ": need 0 < max_message_bytes <= max_frame_bytes"};
  if (c.fix_max_queued_messages == 0) return Error{"bad_config", path + ": fix_max_queued_messages must be positive"};
  if (c.fix_send_timeout_ms < 0) return Error{"bad_config", path + ": fix_send_timeout_ms is 0 (no limit) or more"};
  if (c.ws_write_timeout_ms <= 0) return Error{"bad_config", path + ": ws_write_timeout_ms must be positive"};
  if (c.ws_heartbeat_ms != 0 && (c.ws_heartbeat_ms < 100 || c.ws_heartbeat_ms > 3'600'000)) {
    return Error{"bad_config", path + ": ws_heartbeat_ms must be 0 (none) or from 100 to 3600000"};
  }
  if (c.max_connections == 0 || c.max_connections_per_address == 0)
    return Error{"bad_config", path + ": max_connections and max_connections_per_address must be positive"};
  if (c.login_timeout_ms <= 0 || c.login_timeout_ms > 3'600'000 || c.http_idle_timeout_ms <= 0 || c.http_idle_timeout_ms > 3'600'000)
    return Error{"bad_config", path + ": login_timeout_ms and http_idle_timeout_ms are 1 to 3600000"};
  for (int64_t v : {c.login_address_burst, c.login_user_burst, c.fix_logon_burst})
    if (v < 1 || v > 1000) return Error{"bad_config", path + ": login_address_burst, login_user_burst and fix_logon_burst are 1 to 1000"};
  for (int64_t v : {c.login_address_refill_ms, c.login_user_refill_ms})
    if (v < 1 || v > 3'600'000) return Error{"bad_config", path + ": login_*_refill_ms are 1 to 3600000"};
  if (c.fix_logon_checks_per_s < 1 || c.fix_logon_checks_per_s > 1000 || c.fix_logon_queue == 0 || c.fix_logon_queue > 100000)
    return Error{"bad_config", path + ": fix_logon_checks_per_s is 1 to 1000, fix_logon_queue 1 to 100000"};
  if (c.history_retention_days < 1 || c.history_retention_days > 3660)
    return Error{"bad_config", path + ": history_retention_days is 1 to 3660"};
  if (c.audit_failures_per_s < 0 || c.audit_failures_per_s > 100000) return Error{"bad_config", path + ": audit_failures_per_s is 0 to 100000"};
  if (c.max_batch == 0) return Error{"bad_config", path + ": max_batch must be positive"};
  if (c.auction_gate_hour < 0 || c.auction_gate_hour > 23) return Error{"bad_config", path + ": auction_gate_hour is 0 to 23 (CST)"};
  if (c.auction_days_ahead < 1 || c.auction_days_ahead > 7) return Error{"bad_config", path + ": auction_days_ahead is 1 to 7"};
  if (!(c.auction_time_limit_s > 0)) return Error{"bad_config", path + ": auction_time_limit_s must be positive"};
  return c;
}

}  // namespace cpx::server
