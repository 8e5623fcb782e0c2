// SPDX-License-Identifier: Apache-2.0
// SeededRandom: a deterministic RandomSource (std::mt19937_64, whose output the C++ standard
// fixes bit for bit) for tests and simulation: the same seed gives the same bytes on every
// platform, so a failing run replays from its printed seed. Not for production ids: it is
// predictable. Thread-safety: not thread-safe; one generator per thread or per simulation.
// Errors: none.
#pragma once

#include <optimystic/base/random_source.h>

#include <cstddef>
#include <cstdint>
#include <random>

namespace optimystic::base {

class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}

  // Bytes of successive 64-bit outputs, least significant byte first.
  void Fill(uint8_t* out, size_t n) noexcept override {
    while (n > 0) {
      uint64_t word = engine_();
      for (int i = 0; i < 8 && n > 0; ++i, --n) {
        *out++ = static_cast<uint8_t>(word);
        word >>= 8;
      }
    }
  }

  // The next 64-bit output.
  uint64_t Next() noexcept { return engine_(); }

  // A number in [0, bound) (bound > 0), by rejection so that it is unbiased.
  uint64_t Uniform(uint64_t bound) noexcept {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x = engine_();
    while (x >= limit) {
      x = engine_();
    }
    return x % bound;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace optimystic::base
