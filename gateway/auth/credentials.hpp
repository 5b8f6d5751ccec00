#pragma once
// Stored credentials (docs/PRODUCT.md §8): salted PBKDF2-HMAC-SHA256, kept as
// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>". The password itself is never stored or logged.
#include <string>
#include <string_view>

namespace cpx::auth {

inline constexpr int kDefaultIterations = 210'000;  // OWASP's 2023 figure for PBKDF2-HMAC-SHA256

std::string hash_password(std::string_view password, int iterations = kDefaultIterations);
// False for a wrong password and for a stored string that is not in the format above.
bool verify_password(std::string_view password, std::string_view stored);

}  // namespace cpx::auth
