#include "web/own_requests.hpp"

#include <cstdint>

#include "cpx/time.hpp"

namespace cpx::web {

namespace {

using json = nlohmann::json;

// A whole number field in [lo, hi]; `fallback` when absent; nullopt when it is anything else.
std::optional<int64_t> whole(const json& req, const char* key, int64_t fallback, int64_t lo, int64_t hi) {
  auto it = req.find(key);
  if (it == req.end()) return fallback;
  if (!it->is_number_integer()) return std::nullopt;
  const int64_t v = it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) ? -1 : it->get<int64_t>();
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<std::string> text(const json& req, const char* key) {
  auto it = req.find(key);
  if (it == req.end()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Optional "from" and "to" (ISO-8601): the refusal's text when they are anything else or out of order.
std::optional<std::string> time_range(const json& req, Timestamp& from, Timestamp& to) {
  const auto from_text = text(req, "from"), to_text = text(req, "to");
  if (!from_text || !to_text) return "from and to are ISO-8601 times";
  if (!from_text->empty()) {
    const auto t = parse_iso_time(*from_text);
    if (!t) return "from is an ISO-8601 time or date";
    from = *t;
  }
  if (!to_text->empty()) {
    const auto t = parse_iso_time(*to_text);
    if (!t) return "to is an ISO-8601 time or date";
    to = *t;
  }
  if (to <= from) return "to must be after from";
  return std::nullopt;
}

}  // namespace

bool is_own_op(std::string_view op) {
  return op == "orders" || op == "order" || op == "fills" || op == "balances" || op == "contracts" || op == "statement";
}

OwnRequest own_request(std::string_view op, const json& req) {
  OwnRequest out;
  const auto about = text(req, "participant");
  if (!about) return {std::nullopt, "participant is a participant code"};
  const query::Asker who{kNoParticipant, *about};
  if (op == "balances") {
    out.query = query::OwnBalances{who};
    return out;
  }
  if (op == "order") {
    const auto id = whole(req, "order_id", 0, 1, INT64_MAX);
    const auto cl = text(req, "cl_ord_id");
    if (!id || !cl || (*id == 0) == cl->empty()) return {std::nullopt, "order: give order_id (a positive whole number) or cl_ord_id"};
    out.query = query::OwnOrder{who, static_cast<OrderId>(*id), *cl};
    return out;
  }
  if (op == "statement") {
    const auto format = text(req, "format");
    const auto after = whole(req, "after", 0, 0, INT64_MAX);
    const auto limit = whole(req, "limit", 1000, 1, 10000);
    if (!format || (!format->empty() && *format != "json" && *format != "csv")) return {std::nullopt, "format is json or csv"};
    if (!after || !limit) return {std::nullopt, "after is a transfer id; limit is 1 to 10000"};
    query::OwnStatement st{who, *format == "csv", static_cast<uint64_t>(*after)};
    st.limit = static_cast<size_t>(*limit);
    if (auto why = time_range(req, st.from, st.to)) return {std::nullopt, *why};
    out.query = st;
    return out;
  }
  const auto limit = whole(req, "limit", 100, 1, 1000);
  if (!limit) return {std::nullopt, "limit is 1 to 1000"};
  if (op == "contracts") {
    const auto state = text(req, "state");
    const auto after = whole(req, "after", 0, 0, INT64_MAX);
    if (!state || (!state->empty() && *state != "escrowed" && *state != "reported" && *state != "disputed" && *state != "settled"))
      return {std::nullopt, "state is escrowed, reported, disputed or settled"};
    if (!after) return {std::nullopt, "after is a trade id"};
    out.query = query::OwnContracts{who, *state, static_cast<TradeId>(*after), static_cast<size_t>(*limit)};
    return out;
  }
  if (op == "orders") {
    const auto status = text(req, "status");
    const auto symbol = text(req, "symbol");
    const auto before = whole(req, "before", 0, 0, INT64_MAX);
    if (!status || (!status->empty() && *status != "open" && *status != "all")) return {std::nullopt, "status is open or all"};
    if (!symbol || !before) return {std::nullopt, "symbol is a symbol; before is an order id"};
    out.query = query::OwnOrders{who, *symbol, *status != "all", static_cast<OrderId>(*before), static_cast<size_t>(*limit)};
    return out;
  }
  // fills
  const auto after = whole(req, "after", 0, 0, INT64_MAX);
  if (!after) return {std::nullopt, "after is a trade id"};
  query::OwnFills f{who, static_cast<TradeId>(*after)};
  f.limit = static_cast<size_t>(*limit);
  if (auto why = time_range(req, f.from, f.to)) return {std::nullopt, *why};
  out.query = f;
  return out;
}

}  // namespace cpx::web
