// Gateway security building blocks (docs/PRODUCT.md §6, §8): known-answer tests for the primitives, password
// hashing, signed API requests with every way they can fail, and the audit log's tamper evidence.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <limits>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/audit_log.hpp"
#include "auth/audit_writer.hpp"
#include "auth/login_guard.hpp"
#include "auth/credentials.hpp"
#include "auth/crypto.hpp"
#include "auth/request_auth.hpp"
#include "server/user_store.hpp"

namespace cpx::auth {
namespace {

TEST(Crypto, KnownAnswers) {
  EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231, test case 2.
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 7914, section 11: PBKDF2-HMAC-SHA256, P = "passwd", S = "salt", c = 1, dkLen = 64.
  EXPECT_EQ(to_hex(pbkdf2_sha256("passwd", "salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  std::string back;
  ASSERT_TRUE(from_hex("00ff7A", back));
  EXPECT_EQ(back, std::string("\x00\xff\x7a", 3));
  EXPECT_FALSE(from_hex("0g", back));
  EXPECT_FALSE(from_hex("abc", back));
  EXPECT_TRUE(constant_time_equal("same", "same"));
  EXPECT_FALSE(constant_time_equal("same", "sane"));
  EXPECT_FALSE(constant_time_equal("same", "same!"));
}

TEST(Credentials, SaltedHashesVerifyOnlyTheRightPassword) {
  const std::string a = hash_password("correct horse", 1000);
  const std::string b = hash_password("correct horse", 1000);
  EXPECT_NE(a, b) << "every hash has its own salt";
  EXPECT_EQ(a.find("correct"), std::string::npos) << "the password is not in what is stored";
  EXPECT_TRUE(verify_password("correct horse", a));
  EXPECT_TRUE(verify_password("correct horse", b));
  EXPECT_FALSE(verify_password("correct horsf", a));
  EXPECT_FALSE(verify_password("", a));
  std::string tampered = a;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_FALSE(verify_password("correct horse", tampered));
  for (const char* bad : {"", "pbkdf2-sha256$", "pbkdf2-sha256$x$00$00", "pbkdf2-sha256$1000$$", "md5$1$00$00",
                          "pbkdf2-sha256$0$00$0000000000000000000000000000000000000000000000000000000000000000"}) {
    EXPECT_FALSE(verify_password("correct horse", bad)) << bad;
  }
}

class RequestAuthTest : public ::testing::Test {
 protected:
  static constexpr int64_t kNow = 1'795'998'000'000'000'000;  // 2026-11-30T09:00:00+08:00
  void SetUp() override { verifier.set_key("key-1", "s3cret"); }
  SignedRequest req(int64_t ts, std::string_view nonce, std::string_view payload) {
    sig = sign_request("s3cret", ts, nonce, payload);
    return SignedRequest{"key-1", ts, nonce, payload, sig};
  }
  RequestVerifier verifier;
  std::string sig;
};

TEST_F(RequestAuthTest, AGoodRequestPassesOnce) {
  const std::string payload = R"({"cmd":"new_order"})";
  EXPECT_EQ(verifier.verify(req(kNow, "n1", payload), kNow), AuthResult::Ok);
  EXPECT_EQ(verifier.verify(req(kNow, "n1", payload), kNow), AuthResult::ReplayedNonce);
  EXPECT_EQ(verifier.verify(req(kNow, "n2", payload), kNow + 1), AuthResult::Ok);
}

TEST_F(RequestAuthTest, EveryFailureHasItsOwnReason) {
  SignedRequest r = req(kNow, "n1", "{}");
  r.api_key = "key-2";
  EXPECT_EQ(verifier.verify(r, kNow), AuthResult::UnknownKey);
  EXPECT_EQ(verifier.verify(req(kNow - 5'000'000'001, "n2", "{}"), kNow), AuthResult::StaleTimestamp);
  EXPECT_EQ(verifier.verify(req(kNow + 5'000'000'001, "n3", "{}"), kNow), AuthResult::StaleTimestamp);
  EXPECT_EQ(verifier.verify(req(kNow - 5'000'000'000, "n4", "{}"), kNow), AuthResult::Ok) << "the window is inclusive";
  SignedRequest tampered = req(kNow, "n5", R"({"qty":1})");
  tampered.payload = R"({"qty":9})";
  EXPECT_EQ(verifier.verify(tampered, kNow), AuthResult::BadSignature);
  SignedRequest other_secret = req(kNow, "n6", "{}");
  const std::string wrong = sign_request("not-the-secret", kNow, "n6", "{}");
  other_secret.signature = wrong;
  EXPECT_EQ(verifier.verify(other_secret, kNow), AuthResult::BadSignature);
  EXPECT_EQ(verifier.verify(req(kNow, "", "{}"), kNow), AuthResult::MalformedNonce);
  EXPECT_EQ(verifier.verify(req(kNow, std::string(65, 'n'), "{}"), kNow), AuthResult::MalformedNonce);
  EXPECT_EQ(verifier.verify(req(kNow, "has space", "{}"), kNow), AuthResult::MalformedNonce);
  verifier.remove_key("key-1");
  EXPECT_EQ(verifier.verify(req(kNow, "n7", "{}"), kNow), AuthResult::UnknownKey);
  for (auto r : {AuthResult::UnknownKey, AuthResult::MalformedNonce, AuthResult::StaleTimestamp,
                 AuthResult::BadSignature, AuthResult::ReplayedNonce}) {
    EXPECT_FALSE(reason_text(r).empty());
    EXPECT_NE(reason_code(r), "ok");
  }
}

// Defect: `now - timestamp` overflowed for a timestamp near INT64_MIN, the request passed the window check,
// and its nonce was forgotten after twice the window: the same signed request ran again and again.
TEST_F(RequestAuthTest, ATimestampFarInThePastOrFutureNeverPassesAndCannotBeReplayed) {
  for (int64_t ts : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::min() + 1,
                     std::numeric_limits<int64_t>::min() + kNow - 1, std::numeric_limits<int64_t>::max(), int64_t{0},
                     -kNow}) {
    for (int64_t later : {int64_t{0}, int64_t{11'000'000'000}, int64_t{22'000'000'000}, int64_t{33'000'000'000}}) {
      EXPECT_EQ(verifier.verify(req(ts, "n1", "{}"), kNow + later), AuthResult::StaleTimestamp) << ts << " at +" << later;
    }
  }
  EXPECT_TRUE(within_window(kNow, kNow, 0));
  EXPECT_FALSE(within_window(std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                             std::numeric_limits<int64_t>::max()));
  EXPECT_FALSE(within_window(kNow, kNow, -1));
}

TEST_F(RequestAuthTest, AGoodRequestReplayedAfterItsWindowIsStaleNotAccepted) {
  EXPECT_EQ(verifier.verify(req(kNow, "n1", "{}"), kNow), AuthResult::Ok);
  for (int64_t later = 1'000'000'000; later <= 60'000'000'000; later += 1'000'000'000) {
    const AuthResult r = verifier.verify(req(kNow, "n1", "{}"), kNow + later);
    EXPECT_TRUE(r == AuthResult::ReplayedNonce || r == AuthResult::StaleTimestamp) << later;
  }
}

TEST_F(RequestAuthTest, ARejectedRequestDoesNotUseUpItsNonce) {
  SignedRequest tampered = req(kNow, "n1", "{}");
  tampered.payload = "{ }";
  EXPECT_EQ(verifier.verify(tampered, kNow), AuthResult::BadSignature);
  EXPECT_EQ(verifier.verify(req(kNow, "n1", "{}"), kNow), AuthResult::Ok);
}

TEST_F(RequestAuthTest, UpperCaseHexSignaturesAreAccepted) {
  SignedRequest r = req(kNow, "n1", "{}");
  std::string upper = sig;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  r.signature = upper;
  EXPECT_EQ(verifier.verify(r, kNow), AuthResult::Ok);
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = (std::filesystem::temp_directory_path() / ("cpx-audit-" + std::to_string(::getpid()) + ".jsonl")).string();
    std::filesystem::remove(path);
    auto log = AuditLog::open(path);
    ASSERT_TRUE(log.ok()) << log.error().text;
    for (int i = 1; i <= 10; ++i) {
      ASSERT_TRUE(log->append(kStart + i, "OPS1", i % 2 ? "login" : "halt", "entry " + std::to_string(i)).ok());
    }
  }
  void TearDown() override { std::filesystem::remove(path); }
  std::vector<std::string> lines() const {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  void write(const std::vector<std::string>& ls) const {
    std::ofstream out(path, std::ios::trunc);
    for (const auto& l : ls) out << l << "\n";
  }
  static constexpr Timestamp kStart = 1'795'998'000'000'000'000;
  std::string path;
};

TEST_F(AuditLogTest, AnIntactChainVerifiesAndContinuesAfterReopening) {
  AuditVerdict v = AuditLog::verify(path);
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.entries, 10u);
  auto log = AuditLog::open(path);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->head_hash(), v.head_hash);
  ASSERT_TRUE(log->append(kStart + 11, "OPS2", "resume", "NM.H100.D.2026-12-01").ok());
  EXPECT_EQ(AuditLog::verify(path).entries, 11u);
  EXPECT_TRUE(AuditLog::verify(path).ok);
}

TEST_F(AuditLogTest, AFlippedEntryIsFound) {
  auto ls = lines();
  const size_t at = ls[6].find("entry 7");
  ASSERT_NE(at, std::string::npos);
  ls[6][at + 6] = '8';  // "entry 8"
  write(ls);
  AuditVerdict v = AuditLog::verify(path);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 7u);
  EXPECT_NE(v.why.find("does not match its hash"), std::string::npos) << v.why;
  EXPECT_FALSE(AuditLog::open(path).ok()) << "nothing is appended to a broken chain";
}

TEST_F(AuditLogTest, ADeletedEntryIsFound) {
  auto ls = lines();
  ls.erase(ls.begin() + 4);
  write(ls);
  AuditVerdict v = AuditLog::verify(path);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 5u);
}

TEST_F(AuditLogTest, ReorderedEntriesAreFound) {
  auto ls = lines();
  std::swap(ls[2], ls[3]);
  write(ls);
  AuditVerdict v = AuditLog::verify(path);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 3u);
}

TEST_F(AuditLogTest, ARewrittenEntryWithARecomputedOwnHashStillBreaksTheNextLink) {
  // An attacker edits entry 4 and recomputes its own hash (the formula is no secret); entry 5's "prev"
  // still names the original, so the chain breaks there.
  auto ls = lines();
  nlohmann::json e = nlohmann::json::parse(ls[3]);
  e["detail"] = "entry X";
  std::string prev;
  ASSERT_TRUE(from_hex(e["prev"].get<std::string>(), prev));
  std::string material = prev;
  for (const std::string& part : {std::to_string(e["seq"].get<uint64_t>()), e["ts"].get<std::string>(),
                                  e["actor"].get<std::string>(), e["action"].get<std::string>(),
                                  e["detail"].get<std::string>()}) {
    material += std::to_string(part.size()) + ":" + part;
  }
  e["hash"] = to_hex(sha256(material));
  ls[3] = e.dump();
  write(ls);
  AuditVerdict v = AuditLog::verify(path);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad, 5u) << v.why;
  EXPECT_NE(v.why.find("does not follow"), std::string::npos) << v.why;
}

// Defect: a crash in the middle of a write left an unfinished last line, and every restart then stopped
// with "audit log is broken", as if someone had tampered with it.
TEST_F(AuditLogTest, AnUnfinishedLastLineIsSetAsideAndTheChainContinues) {
  const std::string whole = lines().back();
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << whole.substr(0, whole.size() / 2);  // a line cut short, no newline
  }
  AuditVerdict torn = AuditLog::verify(path);
  EXPECT_FALSE(torn.ok);
  EXPECT_EQ(torn.first_bad, 0u) << "no whole entry is bad";
  EXPECT_EQ(torn.torn_tail_bytes, whole.size() / 2);
  auto log = AuditLog::open(path);
  ASSERT_TRUE(log.ok()) << log.error().text;
  EXPECT_EQ(log->torn_tail_recovered(), whole.size() / 2);
  EXPECT_EQ(log->entries(), 10u);
  ASSERT_TRUE(log->append(kStart + 11, "OPS1", "login", "after the crash").ok());
  AuditVerdict v = AuditLog::verify(path);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.entries, 11u);
  std::ifstream kept(path + ".torn");
  std::string aside;
  std::getline(kept, aside);
  EXPECT_EQ(aside, whole.substr(0, whole.size() / 2)) << "the torn bytes are kept for the record";
  std::filesystem::remove(path + ".torn");
}

TEST_F(AuditLogTest, ATornLineBeforeWholeOnesIsStillTampering) {
  auto ls = lines();
  ls[4] = ls[4].substr(0, 20);
  write(ls);
  EXPECT_FALSE(AuditLog::open(path).ok());
}

// Defect: a failed write (disk full) was ignored, and a part of a line could stay in the file, breaking the
// chain for good. Now nothing of a failed append stays, and the chain continues once writing works again.
TEST_F(AuditLogTest, AFailedAppendLeavesNothingBehindAndTheChainContinues) {
  static std::atomic<int> mode{0};  // 0 ok, 1 half then ENOSPC, 2 fsync fails
  AuditIo io;
  io.write = [](int fd, const void* p, size_t n) -> ssize_t {
    if (mode == 1) {
      if (n > 1) return ::write(fd, p, n / 2);  // half of it reaches the file, the rest does not
      errno = ENOSPC;
      return -1;
    }
    return ::write(fd, p, n);
  };
  io.fsync = [](int fd) -> int {
    if (mode == 2) {
      errno = EIO;
      return -1;
    }
    return ::fsync(fd);
  };
  auto log = AuditLog::open(path, io);
  ASSERT_TRUE(log.ok());
  const auto size = std::filesystem::file_size(path);
  for (int m : {1, 2}) {
    mode = m;
    auto r = log->append(kStart + 20, "OPS1", "login", "cannot be written");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(std::filesystem::file_size(path), size) << "mode " << m << ": the partial entry is cut off again";
    EXPECT_EQ(log->entries(), 10u);
  }
  mode = 0;
  ASSERT_TRUE(log->append(kStart + 21, "OPS1", "login", "written").ok());
  AuditVerdict v = AuditLog::verify(path);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.entries, 11u);
}

// When a partial write cannot even be cut off again, appending after it would break the chain in the
// middle: the log refuses further appends, and the next start finds a torn last line it can set aside.
TEST_F(AuditLogTest, APartialWriteThatCannotBeCutOffStopsAppendsAndIsATornTailAtTheNextStart) {
  AuditIo io;
  io.write = [](int fd, const void* p, size_t n) -> ssize_t { return n > 1 ? ::write(fd, p, n / 2) : (errno = ENOSPC, -1); };
  io.truncate = [](int, off_t) -> int {
    errno = EIO;
    return -1;
  };
  {
    auto log = AuditLog::open(path, io);
    ASSERT_TRUE(log.ok());
    EXPECT_FALSE(log->append(kStart + 20, "OPS1", "login", "half written").ok());
    EXPECT_FALSE(log->append(kStart + 21, "OPS1", "login", "after").ok()) << "nothing after the partial bytes";
  }
  auto reopened = AuditLog::open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.error().text;
  EXPECT_GT(reopened->torn_tail_recovered(), 0u);
  EXPECT_EQ(reopened->entries(), 10u);
  std::filesystem::remove(path + ".torn");
}

TEST_F(AuditLogTest, ClientBytesThatAreNotUtf8AreKeptAsValidTextThatVerifies) {
  auto log = AuditLog::open(path);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE(log->append(kStart + 11, std::string("us\xff\xfe" "er"), "login_failed", std::string("\xc3\x28 bad")).ok());
  AuditVerdict v = AuditLog::verify(path);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.entries, 11u);
}

// The writer thread: actions wait for their entry to be durable; failed logins are bounded.
class AuditWriterTest : public AuditLogTest {
 protected:
  static std::vector<nlohmann::json> entries(const std::string& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> out;
    for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l));
    return out;
  }
};

TEST_F(AuditWriterTest, AnActionIsToldOnceItsEntryIsDurable) {
  auto log = AuditLog::open(path);
  ASSERT_TRUE(log.ok());
  AuditWriter writer(std::move(*log));
  std::atomic<int> told{0}, durable{0};
  for (int i = 0; i < 50; ++i) {
    writer.append({kStart + i, "OPS1", "admin_request", "n" + std::to_string(i)}, [&](bool ok) {
      durable += ok ? 1 : 0;
      ++told;
    });
  }
  writer.flush();
  EXPECT_EQ(told.load(), 50);
  EXPECT_EQ(durable.load(), 50);
  EXPECT_TRUE(writer.healthy());
  EXPECT_EQ(AuditLog::verify(path).entries, 60u);
}

TEST_F(AuditWriterTest, WhatWaitsIsBoundedInBytesToo) {
  // The writer is held inside its first write (of entry 0), so everything after it waits in the queue:
  // with 100 KB allowed, 9 entries of 10 KB fit and the other 40 are refused at once. (Holding the writer
  // from outside, before it took its first batch, made how many it took a matter of timing.)
  static std::promise<void> in_write, release;
  in_write = {};
  release = {};
  static std::atomic<bool> first{true};
  first = true;
  AuditIo io;
  io.write = [](int fd, const void* p, size_t n) -> ssize_t {
    if (first.exchange(false)) {
      in_write.set_value();
      release.get_future().wait();
    }
    return ::write(fd, p, n);
  };
  auto log = AuditLog::open(path, io);
  ASSERT_TRUE(log.ok());
  AuditWriterOptions o;
  o.max_waiting_bytes = 100'000;
  AuditWriter writer(std::move(*log), o);
  std::atomic<int> refused{0}, written{0};
  auto done = [&](bool ok) { (ok ? written : refused) += 1; };
  writer.append({kStart, "OPS1", "request", "first"}, done);
  in_write.get_future().wait();
  for (int i = 1; i < 50; ++i) writer.append({kStart + i, "OPS1", "request", std::string(10'000, 'x')}, done);
  EXPECT_EQ(refused.load(), 40) << "past 100 KB waiting, an entry is refused at once";
  release.set_value();
  writer.flush();
  EXPECT_EQ(written.load(), 10);
  EXPECT_TRUE(AuditLog::verify(path).ok);
}

TEST_F(AuditWriterTest, FailedLoginsPastTheRateAreCountedAndSummarised) {
  Timestamp clock = kStart;
  AuditWriterOptions o;
  o.failures_per_s = 5;
  o.summary_every_ns = 1'000'000'000;
  o.clock = [&clock] { return clock; };
  auto log = AuditLog::open(path);
  ASSERT_TRUE(log.ok());
  {
    AuditWriter writer(std::move(*log), o);
    for (int i = 0; i < 1000; ++i) writer.failure({clock, "key:x", "login_failed", "websocket bad_signature"});
    writer.flush();
    EXPECT_EQ(writer.suppressed(), 995u) << "a burst of 5 written, the rest counted";
  }  // stopping writes the summary
  int failed = 0, summarised = 0;
  for (const auto& e : entries(path)) {
    if (e["action"] == "login_failed") ++failed;
    if (e["action"] == "login_failed_summary") {
      ++summarised;
      EXPECT_EQ(e["detail"].get<std::string>().rfind("995 more failed logins", 0), 0u) << e.dump();
    }
  }
  EXPECT_EQ(failed, 5);
  EXPECT_EQ(summarised, 1);
  EXPECT_TRUE(AuditLog::verify(path).ok);
}

// Under a flood of failed logins the audit log was fsynced for every batch of them (up to
// failures_per_s times a second), on the disk whose journal fsyncs every durable acknowledgement waits
// for. Failures alone now wait (failure_flush_every_ns); an entry that must be durable takes them along.
TEST_F(AuditWriterTest, FailuresAloneAreNotFsyncedAtOnceAndGoWithTheNextAction) {
  static std::atomic<int> fsyncs{0};
  fsyncs = 0;
  AuditIo io;
  io.fsync = [](int fd) {
    ++fsyncs;
    return ::fsync(fd);
  };
  std::atomic<Timestamp> clock{kStart};  // does not move (until the end): the failures never come due by time
  AuditWriterOptions o;
  o.failures_per_s = 100;
  o.failure_flush_every_ns = 1'000'000'000;
  o.clock = [&clock] { return clock.load(); };
  auto log = AuditLog::open(path, io);
  ASSERT_TRUE(log.ok());
  const int opened_with = fsyncs.load();
  const uint64_t before = log->entries();
  AuditWriter writer(std::move(*log), o);
  for (int i = 0; i < 20; ++i) {
    writer.failure({clock.load(), "user:x", "login_failed", "fix bad_credentials"});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(fsyncs.load(), opened_with) << "20 failures over 100 ms: nothing written yet";
  std::promise<bool> durable;
  writer.append({clock.load(), "OPS1", "login", "websocket"}, [&](bool ok) { durable.set_value(ok); });
  ASSERT_TRUE(durable.get_future().get());
  EXPECT_EQ(fsyncs.load(), opened_with + 1) << "the action and the failures before it: one write, one fsync";
  EXPECT_EQ(writer.entries(), before + 21);
  // Failures alone come due by time: with a clock that moves past failure_flush_every_ns they are written.
  writer.failure({clock.load(), "user:x", "login_failed", "fix bad_credentials"});
  clock += 2'000'000'000;
  writer.failure({clock.load(), "user:x", "login_failed", "fix bad_credentials"});
  for (int i = 0; i < 300 && writer.entries() < before + 23; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(writer.entries(), before + 23) << "due one second after the first of them";
  EXPECT_TRUE(AuditLog::verify(path).ok);
}

// Failures waiting for their lazy write filled the whole queue (at a high audit_failures_per_s), and
// then every login and operator request was refused: failures may use only half of it.
TEST_F(AuditWriterTest, WaitingFailuresNeverCrowdOutAnAction) {
  std::atomic<Timestamp> clock{kStart};  // frozen: the failures never come due by time
  AuditWriterOptions o;
  o.max_waiting = 10;
  o.failures_per_s = 100'000;
  o.failure_flush_every_ns = 3'600'000'000'000;
  o.clock = [&clock] { return clock.load(); };
  auto log = AuditLog::open(path);
  ASSERT_TRUE(log.ok());
  AuditWriter writer(std::move(*log), o);
  for (int i = 0; i < 50; ++i) writer.failure({clock.load(), "user:x", "login_failed", "fix bad_credentials"});
  EXPECT_EQ(writer.suppressed(), 45u) << "five failures wait; the rest are counted";
  std::promise<bool> durable;
  writer.append({clock.load(), "OPS1", "login", "websocket"}, [&](bool ok) { durable.set_value(ok); });
  EXPECT_TRUE(durable.get_future().get()) << "the action is recorded, the failures with it";
}

TEST_F(AuditWriterTest, AnEntryThatCannotBeWrittenRefusesItsActionAndIsRecordedAsLostLater) {
  static std::atomic<bool> full{false};
  AuditIo io;
  io.write = [](int fd, const void* p, size_t n) -> ssize_t {
    if (full) {
      errno = ENOSPC;
      return -1;
    }
    return ::write(fd, p, n);
  };
  auto log = AuditLog::open(path, io);
  ASSERT_TRUE(log.ok());
  AuditWriterOptions o;
  o.retry_every_ns = 1'000'000;  // 1 ms
  AuditWriter writer(std::move(*log), o);
  full = true;
  std::atomic<int> answer{-1};
  writer.append({kStart + 1, "bjai", "login", "websocket"}, [&](bool ok) { answer = ok ? 1 : 0; });
  writer.flush();
  EXPECT_EQ(answer.load(), 0) << "the login must not go ahead";
  EXPECT_FALSE(writer.healthy());
  EXPECT_NE(writer.problem().find("No space left"), std::string::npos) << writer.problem();
  EXPECT_EQ(writer.lost(), 1u);
  full = false;
  writer.append({kStart + 2, "bjai", "login", "websocket"}, [&](bool ok) { answer = ok ? 1 : 0; });
  writer.flush();
  EXPECT_EQ(answer.load(), 1);
  EXPECT_TRUE(writer.healthy());
  const auto es = entries(path);
  ASSERT_EQ(es.size(), 12u);
  EXPECT_EQ(es[10]["action"], "audit_entries_lost") << "the gap is on record before what follows it";
  EXPECT_EQ(es[11]["action"], "login");
  EXPECT_TRUE(AuditLog::verify(path).ok);
}

// Failed logins are throttled per address and per principal, before any credential is checked.
TEST(LoginGuard, FailuresUseUpABudgetThatRefillsAndSuccessesGiveBack) {
  LoginPolicy p;
  p.address_burst = 3;
  p.address_refill_ns = 1000;
  p.principal_burst = 2;
  p.principal_refill_ns = 10'000;
  LoginGuard g(p);
  const int64_t t = 1'000'000;
  EXPECT_EQ(g.begin("alice", "10.0.0.1", t).verdict, LoginVerdict::Allowed);
  EXPECT_EQ(g.begin("alice", "10.0.0.1", t).verdict, LoginVerdict::Allowed);
  auto locked = g.begin("alice", "10.0.0.1", t);
  EXPECT_EQ(locked.verdict, LoginVerdict::PrincipalLocked) << "two failures for alice";
  EXPECT_EQ(locked.retry_after_ns, 10'000);
  EXPECT_EQ(g.begin("alice", "10.0.0.2", t).verdict, LoginVerdict::PrincipalLocked) << "from any address";
  EXPECT_EQ(g.begin("bob", "10.0.0.1", t).verdict, LoginVerdict::Allowed);
  EXPECT_EQ(g.begin("carol", "10.0.0.1", t).verdict, LoginVerdict::AddressLocked) << "three failures from 10.0.0.1";
  EXPECT_EQ(g.begin("carol", "10.0.0.1", t + 999).verdict, LoginVerdict::AddressLocked);
  EXPECT_EQ(g.begin("carol", "10.0.0.1", t + 1000).verdict, LoginVerdict::Allowed) << "one more after the refill time";
  EXPECT_EQ(g.begin("alice", "10.0.0.3", t + 10'000).verdict, LoginVerdict::Allowed);
  // A success gives its tokens back: a user who logs in often never locks itself out.
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(g.begin("dave", "10.0.0.9", t).verdict, LoginVerdict::Allowed) << i;
    g.succeeded("dave", "10.0.0.9");
  }
}

TEST(LoginGuard, MemoryIsBoundedWhateverTheNamesAndAddresses) {
  LoginPolicy p;
  p.max_tracked = 100;
  LoginGuard g(p);
  int busy = 0;
  for (int i = 0; i < 10'000; ++i) {
    const auto a = g.begin("user" + std::to_string(i) + std::string(5000, 'x'), "10.1." + std::to_string(i / 250) + "." +
                                                                              std::to_string(i % 250), 1'000'000);
    if (a.verdict == LoginVerdict::Busy) ++busy;
  }
  EXPECT_LE(g.tracked_addresses(), 100u);
  EXPECT_LE(g.tracked_principals(), 100u);
  EXPECT_EQ(busy, 10'000 - 100) << "past the bound, new failing addresses are refused";
  // Once their buckets fill again they are forgotten and new ones fit.
  EXPECT_EQ(g.begin("new", "10.9.9.9", 1'000'000 + 3'600'000'000'000).verdict, LoginVerdict::Allowed);
}

// Defect: a wrong password for a known user took ~146 ms (PBKDF2), an unknown user ~6 ms: the answer's
// time told which user names exist. Now both cost the same hashing.
TEST(Credentials, UnknownAndDisabledUsersCostTheSameHashingAsAWrongPassword) {
  const std::string file = (std::filesystem::temp_directory_path() / ("cpx-users-" + std::to_string(::getpid()) + ".json")).string();
  std::filesystem::remove(file);
  auto users = server::UserStore::open(file);
  ASSERT_TRUE(users.ok());
  ASSERT_TRUE((*users)->put("known", "BJAI", "right", "key-k", "secret-k").ok());
  ASSERT_TRUE((*users)->put("off", "BJAI", "right", "key-o", "secret-o", false).ok());
  auto work = [&](const std::string& user, const std::string& password) {
    const uint64_t before = pbkdf2_iterations_done();
    EXPECT_FALSE((*users)->check_password(user, password).has_value());
    return pbkdf2_iterations_done() - before;
  };
  const uint64_t wrong = work("known", "wrong");
  EXPECT_EQ(wrong, static_cast<uint64_t>(kDefaultIterations));
  EXPECT_EQ(work("nobody", "x"), wrong);
  EXPECT_EQ(work("off", "right"), wrong);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace cpx::auth
