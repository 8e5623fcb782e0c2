// SPDX-License-Identifier: Apache-2.0
// The CLI's reading of user input: JSON arguments (with the position of the first error), keys
// (a number when the text is a JSON number that fits, else the text) and integers.
// Thread-safety: pure functions. Errors: InvalidArgument naming `what` (e.g. "ENTRY (argument
// 3)") and, for JSON, the byte position of the error.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace optimystic::tools::cli {

// The JSON document `text`; `what` names the argument in the error.
Result<block::Value> ParseJsonArgument(std::string_view text, std::string_view what) noexcept;

// Whether keys that look like numbers stay text.
enum class KeyMode : uint8_t { kNumbersAsNumbers = 0, kAlwaysText = 1 };

// A tree key from the command line: with kNumbersAsNumbers, a JSON number literal that fits a
// 64-bit integer or a double becomes that number ("42", "-7", "1.5e3"); anything else, and
// everything with kAlwaysText, is the text itself ("alice", "007", "12abc").
block::Value ParseKey(std::string_view text, KeyMode mode) noexcept;

// A signed 64-bit decimal integer, e.g. "-5"; `what` names it in the error.
Result<int64_t> ParseInteger(std::string_view text, std::string_view what) noexcept;

// A decimal integer in [min, max]; `what` names it in the error.
Result<uint64_t> ParseCount(std::string_view text, std::string_view what, uint64_t min,
                            uint64_t max) noexcept;

}  // namespace optimystic::tools::cli
