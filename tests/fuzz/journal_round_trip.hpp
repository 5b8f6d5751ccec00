#pragma once
// The journal round trip every command the exchange is given must survive (persistence/command_codec).
#include <string>

#include "command_codec.hpp"
#include "cpx/commands.hpp"
#include "fuzz_common.hpp"

namespace cpx::fuzz {

// Every command the exchange may be given must go into the journal and come back out as itself: decoded
// from its encoding it encodes to the same bytes.
inline void check_journal_round_trip(const Command& command, const char* where) {
  std::string first;
  persistence::encode_command(command, first);
  auto back = persistence::decode_command(first);
  if (!back) {
    fail("%s: a %s command does not decode from its own journal record (%s): %s", where,
         std::string(to_string(kind_of(command))).c_str(), back.error().text.c_str(), hex(first).c_str());
  }
  std::string second;
  persistence::encode_command(*back, second);
  if (second != first) {
    fail("%s: a %s command re-encodes differently:\n  %s\n  %s", where, std::string(to_string(kind_of(command))).c_str(),
         hex(first).c_str(), hex(second).c_str());
  }
}

}  // namespace cpx::fuzz
