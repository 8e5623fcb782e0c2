// SPDX-License-Identifier: Apache-2.0
// How many seeds a simulation runs: OPTIMYSTIC_SIM_SEEDS when set to a positive number (a
// longer soak, run the test binary itself: ctest lists the default seeds), else `fallback`
// (a quarter of it under AddressSanitizer).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

namespace optimystic::test {

// Under AddressSanitizer a quarter of them (at least one): that pass looks for memory errors,
// which the default build's full run of seeds does not need repeated 4 to 5 times slower.
inline uint64_t SimSeedCount(uint64_t fallback) {
#if defined(__SANITIZE_ADDRESS__)
  fallback = fallback / 4 > 0 ? fallback / 4 : 1;
#endif
  const char* text = std::getenv("OPTIMYSTIC_SIM_SEEDS");
  if (text == nullptr) {
    return fallback;
  }
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text, &end, 10);
  return end != text && *end == '\0' && n > 0 ? n : fallback;
}

}  // namespace optimystic::test
