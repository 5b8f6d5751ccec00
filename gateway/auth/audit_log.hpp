#pragma once
// The append-only audit log of logins and operator actions (docs/OPERATIONS.md). One JSON object per line;
// each entry carries the SHA-256 of the previous one and its own, over its sequence number and fields,
// so a flipped, deleted or reordered entry breaks the chain at that entry and verify() names it.
// (Cutting entries off the end leaves a valid shorter chain: the head hash is what a checkpoint kept
// elsewhere compares against.)
//
// Every line is written whole by one write(2) and only then fsynced, so a crash can leave at most the last
// line unfinished: a line without its newline. That torn tail is recognisable (and the action it recorded
// never went ahead, since actions wait for their entry to be durable): open() sets it aside in
// `<path>.torn` and continues the chain. Anything else that does not check out is still an error.
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/result.hpp"
#include "cpx/time.hpp"

namespace cpx::auth {

struct AuditVerdict {
  bool ok = false;
  uint64_t entries = 0;     // entries that checked out
  uint64_t first_bad = 0;   // 1-based line of the first entry that does not (0 when ok, or when only torn)
  uint64_t torn_tail_bytes = 0;  // an unfinished last line (no newline): an interrupted write, not tampering
  std::string why;
  std::string head_hash;    // hex of the last good entry's hash
};

struct AuditEntry {
  Timestamp ts = 0;
  std::string actor, action, detail;
};

// The system calls the log writes with; tests put failing ones in (a full disk, a write cut short).
struct AuditIo {
  std::function<ssize_t(int, const void*, size_t)> write = [](int fd, const void* p, size_t n) { return ::write(fd, p, n); };
  std::function<int(int)> fsync = [](int fd) { return ::fsync(fd); };
  std::function<int(int, off_t)> truncate = [](int fd, off_t size) { return ::ftruncate(fd, size); };
};

class AuditLog {
 public:
  // Opens (creating) the log and checks the existing chain; a broken chain is an error, a torn last line
  // is set aside (torn_tail_recovered() then says how many bytes).
  static Result<AuditLog> open(const std::string& path, AuditIo io = {});
  AuditLog(AuditLog&& other) noexcept;
  AuditLog& operator=(AuditLog&&) = delete;
  ~AuditLog();

  // Appends the entries with one write and one fsync. On any failure nothing of them stays in the file
  // (a partial write is cut off again) and the chain is where it was, so a later append continues it.
  Result<bool> append(std::span<const AuditEntry> entries);
  Result<bool> append(Timestamp ts, std::string_view actor, std::string_view action, std::string_view detail);
  uint64_t entries() const { return seq_; }
  std::string head_hash() const;
  uint64_t torn_tail_recovered() const { return torn_recovered_; }

  static AuditVerdict verify(const std::string& path);

 private:
  AuditLog() = default;
  int fd_ = -1;
  uint64_t size_ = 0;  // bytes of whole entries in the file
  uint64_t seq_ = 0;
  std::string head_;  // raw hash of the last entry (32 zero bytes before the first)
  uint64_t torn_recovered_ = 0;
  bool broken_ = false;  // a failed write could not be cut off again: no more appends until reopened
  std::string scratch_;
  AuditIo io_;
};

}  // namespace cpx::auth
