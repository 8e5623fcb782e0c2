// SPDX-License-Identifier: Apache-2.0
#include <optimystic/base/crc32c.h>

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace optimystic::base {
namespace {

constexpr uint32_t kPolyReflected = 0x82f63b78u;

// tables[k][b]: the CRC state after byte b followed by k zero bytes (slicing-by-8).
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int i = 0; i < 8; ++i) {
      crc = (crc >> 1) ^ ((crc & 1u) ? kPolyReflected : 0u);
    }
    t[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (size_t k = 1; k < 8; ++k) {
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();

uint64_t LoadLe64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);  // every target we build for is little-endian
  return v;
}

uint32_t ExtendPortable(uint32_t state, const uint8_t* p, size_t n) noexcept {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7u) != 0) {
    state = (state >> 8) ^ kTables[0][(state ^ *p++) & 0xffu];
    --n;
  }
  while (n >= 8) {
    uint64_t word = LoadLe64(p) ^ state;
    state = kTables[7][word & 0xffu] ^ kTables[6][(word >> 8) & 0xffu] ^
            kTables[5][(word >> 16) & 0xffu] ^ kTables[4][(word >> 24) & 0xffu] ^
            kTables[3][(word >> 32) & 0xffu] ^ kTables[2][(word >> 40) & 0xffu] ^
            kTables[1][(word >> 48) & 0xffu] ^ kTables[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    state = (state >> 8) ^ kTables[0][(state ^ *p++) & 0xffu];
    --n;
  }
  return state;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t state, const uint8_t* p,
                                                       size_t n) noexcept {
  uint64_t wide = state;
  while (n >= 8) {
    wide = _mm_crc32_u64(wide, LoadLe64(p));
    p += 8;
    n -= 8;
  }
  state = static_cast<uint32_t>(wide);
  while (n > 0) {
    state = _mm_crc32_u8(state, *p++);
    --n;
  }
  return state;
}

bool HasSse42() noexcept {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n_bytes) noexcept {
  const auto* p = static_cast<const uint8_t*>(data);
#if defined(__x86_64__)
  if (HasSse42()) return ~ExtendSse42(~crc, p, n_bytes);
#endif
  return ~ExtendPortable(~crc, p, n_bytes);
}

uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n_bytes) noexcept {
  return ~ExtendPortable(~crc, static_cast<const uint8_t*>(data), n_bytes);
}

}  // namespace optimystic::base
