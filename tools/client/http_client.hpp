#pragma once
// HTTP/1.1 requests for the tools (one connection per request) and the signed POST /admin of docs/PRODUCT.md §6.
#include <string>
#include <utility>
#include <vector>

#include "connection.hpp"

namespace cpx::client {

struct HttpReply {
  int status = 0;
  std::string body;
  std::string head;  // the status line and headers, as received
};

Result<HttpReply> http_call(const Endpoint& at, const std::string& method, const std::string& target,
                            const std::string& body = {},
                            const std::vector<std::pair<std::string, std::string>>& headers = {}, int timeout_ms = 30000);

// POST /admin signed with the operator's API key over "POST /admin\n<body>".
Result<HttpReply> admin_call(const Endpoint& at, const std::string& key, const std::string& secret, const std::string& body,
                             int timeout_ms = 30000);

// Wall clock in ns and a fresh nonce, for signatures.
int64_t now_ns();
std::string new_nonce();

}  // namespace cpx::client
