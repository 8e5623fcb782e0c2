// SPDX-License-Identifier: Apache-2.0
// Text checks for wire messages: whether a string is valid UTF-8 (every text string on the wire
// must be, or no decoder accepts the message), and a bounded, always-valid copy of any string for
// error messages that quote what a peer sent or what a handler said.
// Thread-safety: pure functions. Errors: none.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace optimystic::cluster::wire {

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s) noexcept;

// `s` with every byte that is not part of a well-formed UTF-8 sequence replaced by '?', cut at a
// character boundary to at most `max_bytes` bytes (the last three of them "..." when cut).
// REQUIRES: max_bytes >= 3.
std::string BoundedText(std::string_view s, size_t max_bytes) noexcept;

}  // namespace optimystic::cluster::wire
