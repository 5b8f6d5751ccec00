#pragma once
// A self-signed certificate for "localhost" (RSA 2048, one year), so that a developer's cpxd and the tests
// speak TLS without an openssl command line. Production configs point tls_cert/tls_key at real files.
#include <string>

#include "cpx/result.hpp"

namespace cpx::server {

// Writes PEM files (key mode 0600), creating their directories. Does nothing when both exist.
Result<bool> ensure_self_signed(const std::string& cert_path, const std::string& key_path);

}  // namespace cpx::server
