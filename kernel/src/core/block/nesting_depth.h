// SPDX-License-Identifier: Apache-2.0
// Container nesting depth of values and transforms, counted as the decoder counts it
// (block_format.h: the decoder refuses anything nested deeper than kMaxNestingDepth). The
// encoder never fails, so whoever stores an encoding checks its depth first: bytes that nest
// deeper encode, but can never be read back.
// Thread-safety: pure functions. Errors: none.
#pragma once

#include <optimystic/block/transform.h>
#include <optimystic/block/value.h>

#include <cstddef>

namespace optimystic::block {

// 0 for a scalar; 1 for an array or object holding only scalars (or nothing); and so on.
size_t NestingDepth(const Value& value);

// NestingDepth(TransformToValue(t)), the depth of EncodeTransform(t), without building it.
size_t TransformNestingDepth(const Transform& t);

}  // namespace optimystic::block
