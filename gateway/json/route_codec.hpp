#pragma once
// Route quotes in JSON (docs/API.md "route_quote"): the query from a request object, the answer as one
// object. Engine thread: codes resolve against the engine.
#include <nlohmann/json.hpp>
#include <string>

#include "cpx/matching_engine.hpp"
#include "cpx/result.hpp"
#include "cpx/routing.hpp"
#include "json/command_codec.hpp"
#include "json/names.hpp"

namespace cpx::api {

Result<RouteQuery, DecodeError> decode_route_query(const nlohmann::json& request, const NameResolver& names);
Result<RouteQuery, DecodeError> decode_route_query(const nlohmann::json& request, const MatchingEngine& engine);
std::string route_quote_json(const RouteQuery& query, const RouteQuote& quote, const MatchingEngine& engine);

}  // namespace cpx::api
