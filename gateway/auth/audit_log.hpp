#pragma once
// The append-only audit log of logins and operator actions (DESIGN.md §8). One JSON object per line;
// each entry carries the SHA-256 of the previous one and its own, over its sequence number and fields,
// so a flipped, deleted or reordered entry breaks the chain at that entry and verify() names it.
// (Cutting entries off the end leaves a valid shorter chain: the head hash is what a checkpoint kept
// elsewhere compares against.)
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "cpx/result.hpp"
#include "cpx/time.hpp"

namespace cpx::auth {

struct AuditVerdict {
  bool ok = false;
  uint64_t entries = 0;     // entries that checked out
  uint64_t first_bad = 0;   // 1-based line of the first entry that does not (0 when ok)
  std::string why;
  std::string head_hash;    // hex of the last good entry's hash
};

class AuditLog {
 public:
  // Opens (creating) the log and checks the existing chain; a broken chain is an error.
  static Result<AuditLog> open(const std::string& path);
  AuditLog(AuditLog&& other) noexcept;
  AuditLog& operator=(AuditLog&&) = delete;
  ~AuditLog();

  // Appends and flushes one entry (fsync: audit entries are rare and must survive a crash).
  Result<bool> append(Timestamp ts, std::string_view actor, std::string_view action, std::string_view detail);
  uint64_t entries() const { return seq_; }
  std::string head_hash() const;

  static AuditVerdict verify(const std::string& path);

 private:
  AuditLog() = default;
  std::FILE* file_ = nullptr;
  uint64_t seq_ = 0;
  std::string head_;  // raw hash of the last entry (32 zero bytes before the first)
};

}  // namespace cpx::auth
