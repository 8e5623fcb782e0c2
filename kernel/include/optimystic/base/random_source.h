// SPDX-License-Identifier: Apache-2.0
// RandomSource: where the database core gets random bytes (block ids, action ids). The core
// never calls a generator itself (DESIGN.md §2): the server injects a CSPRNG-backed source,
// tests and simulation inject SeededRandom (seeded_random.h) so that a run replays from its seed.
// Thread-safety: an implementation states its own; SeededRandom is not thread-safe.
// Errors: none; Fill cannot fail (a source whose generator can fail aborts: running on without
// randomness would hand out colliding ids).
#pragma once

#include <cstddef>
#include <cstdint>

namespace optimystic::base {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Writes `n` random bytes to `out`. REQUIRES: `out` holds at least `n` bytes.
  virtual void Fill(uint8_t* out, size_t n) noexcept = 0;
};

}  // namespace optimystic::base
