// SPDX-License-Identifier: Apache-2.0
#include "base/random.h"

#include <openssl/err.h>
#include <openssl/rand.h>

namespace optimystic::base {

Result<std::string> SecureRandomBytes(size_t count) {
  std::string out(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    return Status::Internal("RAND_bytes failed: error " + std::to_string(ERR_get_error()));
  }
  return out;
}

}  // namespace optimystic::base
