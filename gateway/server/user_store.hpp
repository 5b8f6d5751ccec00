#pragma once
// Who may log in (docs/PRODUCT.md §8): users with a password (FIX Logon, salted PBKDF2-HMAC-SHA256) and an API
// key with its HMAC secret (WebSocket/HTTP), each acting for one participant. Kept as a JSON file
// (mode 0600) beside the journal; the secrets are needed in clear to check HMAC signatures, so the file is
// the server's and never logged. Thread-safe: the FIX threads and the web thread read it.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpx/result.hpp"

namespace cpx::server {

struct User {
  std::string username;
  std::string participant;    // participant code the user acts for
  std::string password_hash;  // pbkdf2-sha256$...
  std::string api_key;
  std::string api_secret;
  bool enabled = true;
};

class UserStore {
 public:
  // Loads `path` if it exists (an empty store otherwise); changes are saved back to it.
  static Result<std::unique_ptr<UserStore>> open(const std::string& path);

  // Adds or replaces a user; hashes the password here. Saves.
  Result<bool> put(const std::string& username, const std::string& participant, const std::string& password,
                   const std::string& api_key, const std::string& api_secret, bool enabled = true);
  Result<bool> set_enabled(const std::string& username, bool enabled);

  // The user when the password is right and the user is enabled.
  std::optional<User> check_password(const std::string& username, const std::string& password) const;
  std::optional<User> by_api_key(const std::string& api_key) const;
  std::optional<User> find(const std::string& username) const;
  // Moves on every change of the user (credentials, enabled): a login that checked the user before a
  // change and finishes after it can tell, and refuse itself.
  uint64_t generation(const std::string& username) const;
  std::vector<User> list() const;  // by username
  size_t size() const;

 private:
  explicit UserStore(std::string path) : path_(std::move(path)) {}
  Result<bool> save_locked() const;

  std::string path_;
  std::string stand_in_;  // the hash an unknown or disabled user is checked against (equal work)
  mutable std::mutex mutex_;
  std::unordered_map<std::string, User> users_;        // by username
  std::unordered_map<std::string, std::string> keys_;  // api key -> username
  std::unordered_map<std::string, uint64_t> generations_;
};

}  // namespace cpx::server
