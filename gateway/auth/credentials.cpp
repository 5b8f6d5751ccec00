#include "auth/credentials.hpp"

#include <charconv>

#include "auth/crypto.hpp"

namespace cpx::auth {

std::string hash_password(std::string_view password, int iterations) {
  const std::string salt = random_bytes(16);
  const std::string hash = pbkdf2_sha256(password, salt, iterations, 32);
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + to_hex(salt) + "$" + to_hex(hash);
}

bool verify_password(std::string_view password, std::string_view stored) {
  constexpr std::string_view kPrefix = "pbkdf2-sha256$";
  if (stored.substr(0, kPrefix.size()) != kPrefix) return false;
  stored.remove_prefix(kPrefix.size());
  const size_t a = stored.find('$');
  const size_t b = a == std::string_view::npos ? a : stored.find('$', a + 1);
  if (b == std::string_view::npos) return false;
  int iterations = 0;
  auto [end, ec] = std::from_chars(stored.data(), stored.data() + a, iterations);
  if (ec != std::errc() || end != stored.data() + a || iterations < 1 || iterations > 10'000'000) return false;
  std::string salt, expected;
  if (!from_hex(stored.substr(a + 1, b - a - 1), salt) || !from_hex(stored.substr(b + 1), expected)) return false;
  if (salt.empty() || expected.size() != 32) return false;
  return constant_time_equal(pbkdf2_sha256(password, salt, iterations, expected.size()), expected);
}

}  // namespace cpx::auth
