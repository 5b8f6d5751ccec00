#pragma once
// JSON -> Command: the request schema of docs/API.md. Never throws on bad input: a malformed request
// comes back as a DecodeError with a reason code and a sentence that names the offending field.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cpx/commands.hpp"
#include "cpx/reasons.hpp"
#include "cpx/result.hpp"
#include "json/client_order_ids.hpp"
#include "json/names.hpp"

namespace cpx::api {

struct DecodeError {
  RejectReason reason = RejectReason::MalformedRequest;
  std::string text;
  std::string cmd;        // the "cmd" field when it could be read
  std::string cl_ord_id;  // echoed when it could be read
};

// A client's value as it appears in an error text or is echoed back: at most `max` bytes, cut on a UTF-8
// character boundary and marked with "..." when cut. An answer never grows with what a client sends (a
// 64 KB name once came back whole in its error).
std::string shown(std::string_view value, size_t max = 64);
// The same for a JSON value as text, written only as far as `max` bytes: never recursing deeper than that,
// however deeply a client nested the value (nlohmann's dump() recurses once per level: a 64 KB request
// nests 32,000 levels).
std::string shown_json(const nlohmann::json& value, size_t max = 64);

class CommandDecoder {
 public:
  // `orders` (optional) lets cancel and replace name the order by the client's own id.
  CommandDecoder(const NameResolver& names, const ClientOrderIds* orders = nullptr)
      : names_(names), orders_(orders) {}

  // `default_ts` is used when the request carries no "ts". With `acting` set (a gateway session), the
  // request acts for that participant only ("participant" may be left out; naming another is refused
  // with not_owner), "ts" is ignored (the server's clock counts) and advance_time is refused.
  Result<Command, DecodeError> decode(std::string_view line, Timestamp default_ts,
                                      ParticipantId acting = kNoParticipant) const;
  // The same for a request already parsed (the WebSocket gateway parses on its I/O thread, so the engine
  // thread does not parse it again).
  Result<Command, DecodeError> decode_parsed(const nlohmann::json& request, Timestamp default_ts,
                                      ParticipantId acting = kNoParticipant) const;

  static constexpr size_t kMaxLineBytes = 64 * 1024;

 private:
  const NameResolver& names_;
  const ClientOrderIds* orders_;
};

}  // namespace cpx::api
