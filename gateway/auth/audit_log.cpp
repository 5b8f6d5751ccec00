#include "auth/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <fstream>
#include <nlohmann/json.hpp>

#include "auth/crypto.hpp"

namespace cpx::auth {

namespace {

using nlohmann::json;

// Length-prefixed fields, so no two different entries hash the same text.
std::string entry_hash(std::string_view prev, uint64_t seq, std::string_view ts, std::string_view actor,
                       std::string_view action, std::string_view detail) {
  std::string material(prev);
  const std::string seq_text = std::to_string(seq);  // named: a temporary would not outlive the loop's list
  for (std::string_view part : {std::string_view(seq_text), ts, actor, action, detail}) {
    material += std::to_string(part.size());
    material += ':';
    material += part;
  }
  return sha256(material);
}

// write(2) until done; false on an error (errno set) or no progress.
bool write_all(int fd, std::string_view data, const AuditIo& io = {}) {
  while (!data.empty()) {
    const ssize_t n = io.write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// What a client sent may be any bytes: an entry keeps them as valid UTF-8 (invalid sequences replaced
// by U+FFFD before hashing, so the stored text is what was hashed), and bounded.
std::string clean(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) text = text.substr(0, max_bytes);
  const std::string dumped = json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
  return json::parse(dumped).get<std::string>();
}

}  // namespace

AuditVerdict AuditLog::verify(const std::string& path) {
  AuditVerdict v;
  std::string prev(32, '\0');
  v.head_hash = to_hex(prev);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    v.ok = true;  // no log yet: an empty chain
    return v;
  }
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    if (in.eof()) {  // the last line has no newline: written only in part
      v.torn_tail_bytes = line.size();
      v.why = "the last " + std::to_string(line.size()) + " bytes are an unfinished entry (no newline): an interrupted write";
      return v;
    }
    ++n;
    auto fail = [&](std::string why) {
      v.first_bad = n;
      v.why = "entry " + std::to_string(n) + ": " + std::move(why);
      return v;
    };
    json e = json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object()) return fail("not a JSON object");
    auto str = [&](const char* k) { return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string(); };
    if (!e.contains("seq") || !e["seq"].is_number_unsigned() || e["seq"].get<uint64_t>() != n) {
      return fail("sequence number is not " + std::to_string(n) + " (an entry is missing or out of order)");
    }
    std::string prev_given, hash_given;
    if (!from_hex(str("prev"), prev_given) || prev_given != prev) return fail("does not follow the entry before it");
    const std::string hash = entry_hash(prev, n, str("ts"), str("actor"), str("action"), str("detail"));
    if (!from_hex(str("hash"), hash_given) || hash_given != hash) return fail("its content does not match its hash");
    prev = hash;
    v.entries = n;
    v.head_hash = to_hex(hash);
  }
  v.ok = true;
  return v;
}

Result<AuditLog> AuditLog::open(const std::string& path, AuditIo io) {
  AuditVerdict v = verify(path);
  uint64_t torn = 0;
  if (!v.ok && v.first_bad == 0 && v.torn_tail_bytes > 0) {
    // Every whole entry checks out; only the last line is unfinished. Keep its bytes for the record and
    // cut it off, so the chain continues from the last whole entry.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) < v.torn_tail_bytes)
      return make_error("audit_io", "cannot read the size of " + path);
    const uint64_t whole = static_cast<uint64_t>(st.st_size) - v.torn_tail_bytes;
    std::string tail;
    {
      std::ifstream in(path, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(whole));
      tail.resize(v.torn_tail_bytes);
      in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    }
    const int keep = ::open((path + ".torn").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const bool kept = keep >= 0 && write_all(keep, tail + "\n") && ::fsync(keep) == 0;
    if (keep >= 0) ::close(keep);
    if (!kept) return make_error("audit_io", "cannot set the torn end of " + path + " aside in " + path + ".torn");
    if (::truncate(path.c_str(), static_cast<off_t>(whole)) != 0)
      return make_error("audit_io", "cannot cut the torn end off " + path + ": " + std::strerror(errno));
    torn = v.torn_tail_bytes;
    v.ok = true;
  }
  if (!v.ok) return make_error("audit_chain_broken", "audit log " + path + " is broken at " + v.why);
  AuditLog log;
  log.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log.fd_ < 0) return make_error("audit_io", "cannot open audit log " + path + " for appending: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(log.fd_, &st) != 0) return make_error("audit_io", "cannot read the size of " + path);
  log.size_ = static_cast<uint64_t>(st.st_size);
  log.seq_ = v.entries;
  log.torn_recovered_ = torn;
  log.io_ = std::move(io);
  from_hex(v.head_hash, log.head_);
  return log;
}

AuditLog::AuditLog(AuditLog&& other) noexcept
    : fd_(other.fd_),
      size_(other.size_),
      seq_(other.seq_),
      head_(std::move(other.head_)),
      torn_recovered_(other.torn_recovered_),
      io_(std::move(other.io_)) {
  other.fd_ = -1;
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::string AuditLog::head_hash() const { return to_hex(head_); }

Result<bool> AuditLog::append(Timestamp ts, std::string_view actor, std::string_view action, std::string_view detail) {
  const AuditEntry e{ts, std::string(actor), std::string(action), std::string(detail)};
  return append(std::span<const AuditEntry>(&e, 1));
}

Result<bool> AuditLog::append(std::span<const AuditEntry> entries) {
  if (entries.empty()) return true;
  if (broken_) return make_error("audit_io", "the audit log holds a partial write that could not be cut off; restart to repair it");
  scratch_.clear();
  uint64_t seq = seq_;
  std::string head = head_;
  for (const AuditEntry& in : entries) {
    ++seq;
    const std::string when = format_iso_time(in.ts);
    const std::string actor = clean(in.actor, 256), action = clean(in.action, 256), detail = clean(in.detail, 1 << 20);
    const std::string hash = entry_hash(head, seq, when, actor, action, detail);
    json e = {{"seq", seq},        {"ts", when},           {"actor", actor},     {"action", action},
              {"detail", detail},  {"prev", to_hex(head)}, {"hash", to_hex(hash)}};
    scratch_ += e.dump();
    scratch_ += '\n';
    head = hash;
  }
  errno = 0;
  if (!write_all(fd_, scratch_, io_) || io_.fsync(fd_) != 0) {
    const std::string why = errno ? std::strerror(errno) : "no progress";
    // Whatever part reached the file is cut off again: the next entry continues the chain from here. (If
    // even that fails, the next open finds a torn tail or the entries, never a chain with a hole.)
    // If that fails too, appending after the partial bytes would break the chain in the middle: stop here
    // (the next start sees a torn last line, which it sets aside).
    if (io_.truncate(fd_, static_cast<off_t>(size_)) != 0 || ::fsync(fd_) != 0) broken_ = true;
    return make_error("audit_io", "cannot write the audit log: " + why);
  }
  size_ += scratch_.size();
  seq_ = seq;
  head_ = std::move(head);
  return true;
}

}  // namespace cpx::auth
