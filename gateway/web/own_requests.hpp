#pragma once
// A WebSocket request for a participant's own state (docs/API.md, "Your orders, fills and money"): ops
// "orders", "order", "fills" and "balances", their fields as the HTTP endpoints' query parameters. No
// Beast here: parsing only.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "query/query.hpp"

namespace cpx::web {

bool is_own_op(std::string_view op);

// The typed query, or the refusal's text (a malformed_request).
struct OwnRequest {
  std::optional<query::Query> query;
  std::string refusal;
};
OwnRequest own_request(std::string_view op, const nlohmann::json& req);

}  // namespace cpx::web
