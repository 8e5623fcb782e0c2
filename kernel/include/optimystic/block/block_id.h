// SPDX-License-Identifier: Apache-2.0
// Fresh block ids (SPEC.md §1.2, with this project's base32 text form): 32 bytes from an
// injected RandomSource, base32 (RFC 4648 alphabet, lowercase, no padding), 52 characters, so
// ids use the full 256-bit ring address space. Collection header blocks are named after their
// collection instead and never come from here.
// Thread-safety: as the RandomSource passed in. Errors: none.
#pragma once

#include <optimystic/base/random_source.h>
#include <optimystic/block/block.h>

#include <cstddef>

namespace optimystic::block {

inline constexpr size_t kBlockIdBytes = 32;
inline constexpr size_t kBlockIdChars = 52;

BlockId NewBlockId(base::RandomSource& random);

}  // namespace optimystic::block
