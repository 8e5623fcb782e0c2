// SPDX-License-Identifier: Apache-2.0
// Cryptographically secure random bytes from OpenSSL. Only the composition root and the
// real (non-simulated) implementations of injected interfaces call this; the core gets
// randomness injected. Thread-safety: may be called from any thread.
// Errors: Internal when OpenSSL's generator fails.
#pragma once

#include <optimystic/base/result.h>

#include <cstddef>
#include <string>

namespace optimystic::base {

Result<std::string> SecureRandomBytes(size_t count);

}  // namespace optimystic::base
