// SPDX-License-Identifier: Apache-2.0
// Clock: time as the core and plugins see it, injected so that simulation can replace it.
// Thread-safety: may be called from any thread. Never fails.
#pragma once

#include <cstdint>

namespace optimystic::time {

class Clock {
 public:
  // Wall-clock milliseconds since the Unix epoch.
  virtual int64_t NowUnixMs() const noexcept = 0;
  // A monotonic reading in nanoseconds, for measuring intervals only.
  virtual int64_t SteadyNs() const noexcept = 0;

 protected:
  ~Clock() = default;
};

}  // namespace optimystic::time
