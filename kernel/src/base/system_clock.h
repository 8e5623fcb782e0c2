// SPDX-License-Identifier: Apache-2.0
// SystemClock: the real Clock, from std::chrono. Simulation uses its own Clock instead.
// Thread-safety: stateless; may be called from any thread.
#pragma once

#include <optimystic/time/clock.h>

#include <chrono>

namespace optimystic::base {

class SystemClock final : public time::Clock {
 public:
  int64_t NowUnixMs() const noexcept override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t SteadyNs() const noexcept override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace optimystic::base
