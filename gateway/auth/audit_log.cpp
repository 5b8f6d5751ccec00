#include "auth/audit_log.hpp"

#include <unistd.h>

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

}  // namespace

AuditVerdict AuditLog::verify(const std::string& path) {
  AuditVerdict v;
  std::string prev(32, '\0');
  v.head_hash = to_hex(prev);
  std::ifstream in(path);
  if (!in) {
    v.ok = true;  // no log yet: an empty chain
    return v;
  }
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
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

Result<AuditLog> AuditLog::open(const std::string& path) {
  AuditVerdict v = verify(path);
  if (!v.ok) return make_error("audit_chain_broken", "audit log " + path + " is broken at " + v.why);
  AuditLog log;
  log.file_ = std::fopen(path.c_str(), "a");
  if (!log.file_) return make_error("audit_io", "cannot open audit log " + path + " for appending");
  log.seq_ = v.entries;
  from_hex(v.head_hash, log.head_);
  return log;
}

AuditLog::AuditLog(AuditLog&& other) noexcept : file_(other.file_), seq_(other.seq_), head_(std::move(other.head_)) {
  other.file_ = nullptr;
}

AuditLog::~AuditLog() {
  if (file_) std::fclose(file_);
}

std::string AuditLog::head_hash() const { return to_hex(head_); }

Result<bool> AuditLog::append(Timestamp ts, std::string_view actor, std::string_view action, std::string_view detail) {
  const uint64_t seq = seq_ + 1;
  const std::string when = format_iso_time(ts);
  const std::string hash = entry_hash(head_, seq, when, actor, action, detail);
  json e = {{"seq", seq},           {"ts", when},          {"actor", actor},       {"action", action},
            {"detail", detail},     {"prev", to_hex(head_)}, {"hash", to_hex(hash)}};
  const std::string line = e.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0 ||
      ::fsync(fileno(file_)) != 0) {
    return make_error("audit_io", "cannot write the audit log");
  }
  seq_ = seq;
  head_ = hash;
  return true;
}

}  // namespace cpx::auth
