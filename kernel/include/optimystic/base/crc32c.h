// SPDX-License-Identifier: Apache-2.0
// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected, as in iSCSI RFC 3720 and LevelDB): the
// checksum of on-disk records. Crc32cMask/Crc32cUnmask turn a CRC into the value stored next to
// the data it covers; masking keeps the CRC of bytes that embed CRCs from degenerating (LevelDB
// crc32c.h). Uses the SSE4.2 crc32 instruction when the CPU has it and slicing-by-8 tables
// otherwise; both give identical results.
// Thread-safety: pure functions. Errors: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace optimystic::base {

// The CRC32C of `data` appended to bytes whose CRC32C is `crc` (0 to start).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n_bytes) noexcept;
// The same, always through the portable tables (so that tests cover both paths).
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n_bytes) noexcept;

inline uint32_t Crc32c(std::string_view data) noexcept {
  return Crc32cExtend(0, data.data(), data.size());
}

// The stored form of a CRC: rotated right by 15 bits plus a constant.
inline uint32_t Crc32cMask(uint32_t crc) noexcept {
  constexpr uint32_t kMaskDelta = 0xa282ead8u;
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

inline uint32_t Crc32cUnmask(uint32_t masked) noexcept {
  constexpr uint32_t kMaskDelta = 0xa282ead8u;
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace optimystic::base
