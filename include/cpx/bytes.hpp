#pragma once
// Little-endian binary writing and bounds-checked reading, for journal records and engine snapshots.
// A reader never reads past its input: the first short read or out-of-range value marks it failed and
// every later read returns zero.
#include <cstdint>
#include <string>
#include <string_view>

#include "cpx/domain.hpp"

namespace cpx {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }

 private:
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  void fail() { ok_ = false; }

  uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return v;
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return v;
  }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  std::string str() {
    uint32_t n = u32();
    if (!need(n)) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // An enum stored as one byte; values at or above `count` fail the reader.
  template <class E>
  E small_enum(uint8_t count) {
    uint8_t v = u8();
    if (v >= count) ok_ = false;
    return static_cast<E>(v < count ? v : 0);
  }
  void cl_ord_id(ClOrdId& out) {
    std::string s = str();
    if (!out.assign(s)) ok_ = false;
  }
  // A count of items that each take at least `min_bytes`: fails (returns 0) when the rest of the input
  // cannot hold that many, so a damaged count never drives a huge allocation.
  uint64_t count(size_t min_bytes) {
    uint64_t n = u64();
    if (ok_ && min_bytes > 0 && n > (in_.size() - pos_) / min_bytes) {
      ok_ = false;
      return 0;
    }
    return ok_ ? n : 0;
  }

 private:
  bool need(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace cpx
