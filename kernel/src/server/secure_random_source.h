// SPDX-License-Identifier: Apache-2.0
// SecureRandomSource: the RandomSource the node injects into the core (block ids, action ids,
// backoff jitter), backed by OpenSSL's CSPRNG (base/random.h).
// Thread-safety: stateless; may be called from any thread at once.
// Errors: a failing generator aborts the process (RandomSource's contract: running on without
// randomness would hand out colliding ids).
#pragma once

#include <optimystic/base/random_source.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/random.h"

namespace optimystic::server {

class SecureRandomSource final : public base::RandomSource {
 public:
  void Fill(uint8_t* out, size_t n) noexcept override {
    Result<std::string> bytes = base::SecureRandomBytes(n);
    if (!bytes || bytes->size() != n) {
      std::fprintf(stderr, "secure random source failed: %s\n",
                   bytes ? "short read" : bytes.error().ToString().c_str());
      std::abort();
    }
    std::memcpy(out, bytes->data(), n);
  }
};

}  // namespace optimystic::server
