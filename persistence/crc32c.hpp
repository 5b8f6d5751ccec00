#pragma once
// CRC-32C (Castagnoli) over a journal record or a snapshot, checked on every read: RocksDB's block
// checksums guard the files, this guards the record from encoder to decoder. Start-up verification checks
// every record of the journal, so this is on the recovery path: it uses the CPU's CRC32 instruction
// (SSE4.2) when the CPU has it, else slicing-by-8 tables; the byte-at-a-time table is the reference both
// are tested against (tests/journal_test.cpp). All three give identical results.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define CPX_CRC32C_X86 1
#endif

namespace cpx::persistence {

namespace crc32c_detail {

// tables[0] is the classic byte table; tables[k][b] is the CRC of byte b followed by k zero bytes, so
// eight bytes are folded with eight independent lookups.
inline const std::array<std::array<uint32_t, 256>, 8>& tables() {
  static const auto t = [] {
    std::array<std::array<uint32_t, 256>, 8> out{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      out[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (size_t k = 1; k < 8; ++k) out[k][i] = (out[k - 1][i] >> 8) ^ out[0][out[k - 1][i] & 0xFF];
    }
    return out;
  }();
  return t;
}

inline uint32_t extend_bytewise(uint32_t crc, const uint8_t* p, size_t n) {
  const auto& t = tables()[0];
  for (size_t i = 0; i < n; ++i) crc = t[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

inline uint32_t extend_slice8(uint32_t crc, const uint8_t* p, size_t n) {
  const auto& t = tables();
  while (n >= 8) {
    // Little-endian reads spelled out, so the result does not depend on the host's byte order.
    const uint32_t lo = crc ^ (static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
          t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  return extend_bytewise(crc, p, n);
}

#ifdef CPX_CRC32C_X86
__attribute__((target("sse4.2"))) inline uint32_t extend_sse42(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);  // x86 is little-endian, as the CRC's bit order wants
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return c32;
}
#endif

inline bool sse42_available() {
#ifdef CPX_CRC32C_X86
  static const bool yes = __builtin_cpu_supports("sse4.2");
  return yes;
#else
  return false;
#endif
}

inline const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace crc32c_detail

// The reference: one table lookup per byte.
inline uint32_t crc32c_bytewise(std::string_view data) {
  return crc32c_detail::extend_bytewise(0xFFFFFFFFu, crc32c_detail::bytes(data), data.size()) ^ 0xFFFFFFFFu;
}

// Portable and about four times faster than the reference.
inline uint32_t crc32c_slice8(std::string_view data) {
  return crc32c_detail::extend_slice8(0xFFFFFFFFu, crc32c_detail::bytes(data), data.size()) ^ 0xFFFFFFFFu;
}

// Whether crc32c_hardware may be called on this CPU.
inline bool crc32c_hardware_available() { return crc32c_detail::sse42_available(); }

// The CPU's CRC32 instruction; only where crc32c_hardware_available().
inline uint32_t crc32c_hardware(std::string_view data) {
#ifdef CPX_CRC32C_X86
  return crc32c_detail::extend_sse42(0xFFFFFFFFu, crc32c_detail::bytes(data), data.size()) ^ 0xFFFFFFFFu;
#else
  return crc32c_slice8(data);
#endif
}

inline uint32_t crc32c(std::string_view data) {
  return crc32c_hardware_available() ? crc32c_hardware(data) : crc32c_slice8(data);
}

}  // namespace cpx::persistence
