// SPDX-License-Identifier: Apache-2.0
// Base32 (RFC 4648 alphabet, lowercase, no padding): the text form of block and peer ids.
// Thread-safety: pure functions. Errors: decoding returns InvalidArgument naming the offending
// character or length.
#pragma once

#include <optimystic/base/result.h>

#include <string>
#include <string_view>

namespace optimystic::base {

std::string Base32Encode(std::string_view bytes);
Result<std::string> Base32Decode(std::string_view text);

}  // namespace optimystic::base
