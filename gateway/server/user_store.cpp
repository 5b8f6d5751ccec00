#include "server/user_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "auth/credentials.hpp"

namespace cpx::server {

using nlohmann::json;

Result<std::unique_ptr<UserStore>> UserStore::open(const std::string& path) {
  std::unique_ptr<UserStore> store(new UserStore(path));
  // Made here, not on first use: otherwise the first check would cost twice the hashing.
  store->stand_in_ = auth::hash_password("no user has this password", auth::kDefaultIterations);
  std::ifstream in(path);
  if (!in) return store;
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("users") || !doc["users"].is_array()) {
    return Error{"bad_users_file", path + " is not a users file ({\"users\": [...]})"};
  }
  for (const json& u : doc["users"]) {
    if (!u.is_object()) return Error{"bad_users_file", path + ": every user must be an object"};
    User user;
    try {
      user.username = u.at("username").get<std::string>();
      user.participant = u.at("participant").get<std::string>();
      user.password_hash = u.at("password_hash").get<std::string>();
      user.api_key = u.value("api_key", "");
      user.api_secret = u.value("api_secret", "");
      user.enabled = u.value("enabled", true);
    } catch (const json::exception& e) {
      return Error{"bad_users_file", path + ": " + e.what()};
    }
    if (!user.api_key.empty()) store->keys_[user.api_key] = user.username;
    store->users_[user.username] = std::move(user);
  }
  return store;
}

Result<bool> UserStore::save_locked() const {
  json users = json::array();
  for (const auto& [name, u] : users_) {
    users.push_back({{"username", u.username},
                     {"participant", u.participant},
                     {"password_hash", u.password_hash},
                     {"api_key", u.api_key},
                     {"api_secret", u.api_secret},
                     {"enabled", u.enabled}});
  }
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Error{"io_error", "cannot write " + tmp};
    out << json{{"users", users}}.dump(2) << "\n";
    if (!out.flush()) return Error{"io_error", "cannot write " + tmp};
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) return Error{"io_error", "cannot replace " + path_ + ": " + ec.message()};
  return true;
}

Result<bool> UserStore::put(const std::string& username, const std::string& participant, const std::string& password,
                            const std::string& api_key, const std::string& api_secret, bool enabled) {
  if (username.empty() || participant.empty()) return Error{"invalid_value", "a user needs a name and a participant"};
  User u{username, participant, auth::hash_password(password), api_key, api_secret, enabled};
  std::lock_guard lock(mutex_);
  auto old = users_.find(username);
  if (old != users_.end() && !old->second.api_key.empty()) keys_.erase(old->second.api_key);
  if (!api_key.empty()) {
    auto taken = keys_.find(api_key);
    if (taken != keys_.end() && taken->second != username) return Error{"duplicate_code", "that API key is taken"};
    keys_[api_key] = username;
  }
  users_[username] = std::move(u);
  ++generations_[username];
  return save_locked();
}

Result<bool> UserStore::set_enabled(const std::string& username, bool enabled) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(username);
  if (it == users_.end()) return Error{"unknown_user", "no user '" + username + "'"};
  it->second.enabled = enabled;
  ++generations_[username];
  return save_locked();
}

uint64_t UserStore::generation(const std::string& username) const {
  std::lock_guard lock(mutex_);
  auto it = generations_.find(username);
  return it == generations_.end() ? 0 : it->second;
}

std::optional<User> UserStore::check_password(const std::string& username, const std::string& password) const {
  User u;
  bool known = false;
  {
    std::lock_guard lock(mutex_);
    auto it = users_.find(username);
    if (it != users_.end() && it->second.enabled) {
      u = it->second;
      known = true;
    }
  }
  // PBKDF2 is slow on purpose: outside the lock. An unknown or disabled user costs the same work against a
  // stand-in hash, so the time of the answer does not tell which user names exist.
  const bool match = auth::verify_password(password, known ? u.password_hash : stand_in_);
  if (!known || !match) return std::nullopt;
  return u;
}

std::optional<User> UserStore::by_api_key(const std::string& api_key) const {
  std::lock_guard lock(mutex_);
  auto k = keys_.find(api_key);
  if (k == keys_.end()) return std::nullopt;
  auto it = users_.find(k->second);
  if (it == users_.end() || !it->second.enabled) return std::nullopt;
  return it->second;
}

std::optional<User> UserStore::find(const std::string& username) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(username);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::vector<User> UserStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<User> out;
  for (const auto& [name, u] : users_) out.push_back(u);
  std::sort(out.begin(), out.end(), [](const User& a, const User& b) { return a.username < b.username; });
  return out;
}

size_t UserStore::size() const {
  std::lock_guard lock(mutex_);
  return users_.size();
}

}  // namespace cpx::server
