#pragma once
// The few OpenSSL primitives the gateways need, behind plain functions: SHA-256, HMAC-SHA256,
// PBKDF2-HMAC-SHA256, random bytes, constant-time comparison, hex.
#include <cstdint>
#include <string>
#include <string_view>

namespace cpx::auth {

std::string sha256(std::string_view data);                          // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations, size_t length);
// PBKDF2 iterations computed by this process so far: the work a login costs, for tests that it is the
// same whoever logs in.
uint64_t pbkdf2_iterations_done();
std::string random_bytes(size_t n);
bool constant_time_equal(std::string_view a, std::string_view b);
std::string to_hex(std::string_view bytes);
bool from_hex(std::string_view hex, std::string& out);

}  // namespace cpx::auth
