#pragma once
// Commands as bytes for the journal: a version byte, the command's kind, then its fields little-endian,
// strings length-prefixed. Decoding checks every length, so a damaged record is an error, never a crash.
#include <string>
#include <string_view>

#include "cpx/commands.hpp"
#include "cpx/result.hpp"

namespace cpx::persistence {

inline constexpr uint8_t kCommandCodecVersion = 1;

void encode_command(const Command& command, std::string& out);
Result<Command> decode_command(std::string_view bytes);

}  // namespace cpx::persistence
