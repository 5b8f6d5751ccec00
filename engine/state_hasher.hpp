#pragma once
// A 64-bit hash over a stream of words and strings, used for the engine's state hash. Not cryptographic:
// it tells "same state" from "different state" after replay and recovery.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace cpx::detail {

class StateHasher {
 public:
  void add(uint64_t v) {
    h_ ^= v + 0x9e3779b97f4a7c15ULL + (h_ << 6) + (h_ >> 2);
    h_ = mix(h_);
  }
  void add_signed(int64_t v) { add(static_cast<uint64_t>(v)); }
  void add(std::string_view s) {
    add(s.size());
    uint64_t word = 0;
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::memcpy(&word, s.data() + i, 8);
      add(word);
    }
    word = 0;
    std::memcpy(&word, s.data() + i, s.size() - i);
    add(word);
  }
  uint64_t value() const { return h_; }

 private:
  static uint64_t mix(uint64_t z) {  // splitmix64 finaliser
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace cpx::detail
