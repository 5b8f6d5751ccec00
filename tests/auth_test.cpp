// Gateway security building blocks (DESIGN.md §6, §8): known-answer tests for the primitives, password
// hashing, signed API requests with every way they can fail, and the audit log's tamper evidence.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/audit_log.hpp"
#include "auth/credentials.hpp"
#include "auth/crypto.hpp"
#include "auth/request_auth.hpp"

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

}  // namespace
}  // namespace cpx::auth
