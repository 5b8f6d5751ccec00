#pragma once
// Route quotes in JSON (docs/API.md "route_quote"): the query from a request object, the answer as one
// object. Engine thread: codes resolve against the engine.
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "cpx/matching_engine.hpp"
#include "cpx/result.hpp"
#include "cpx/routing.hpp"
#include "json/command_codec.hpp"
#include "json/names.hpp"

namespace cpx::api {

// A field of the query taken from elsewhere than the request (an auction bid's window and per-hour
// quantities): looked up before the request's own fields, and never copied (a copied request would be
// copied recursively, however deeply a client nested it). A null value means the field is absent.
struct RouteQueryField {
  const char* name;
  const nlohmann::json* value;
};

Result<RouteQuery, DecodeError> decode_route_query(const nlohmann::json& request, const NameResolver& names,
                                                   std::initializer_list<RouteQueryField> replaced = {});
Result<RouteQuery, DecodeError> decode_route_query(const nlohmann::json& request, const MatchingEngine& engine);
std::string route_quote_json(const RouteQuery& query, const RouteQuote& quote, const MatchingEngine& engine);

}  // namespace cpx::api
