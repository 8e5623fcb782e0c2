// SPDX-License-Identifier: Apache-2.0
// Value: the dynamic JSON-like document that blocks, operations and actions are made of
// (SPEC.md §1.1). It is nlohmann::json (objects are std::map, so keys are always sorted, which
// makes the canonical encoding deterministic), built with JSON_NOEXCEPTION: misuse (at() on a
// missing key, get<int>() on a string) aborts as a programmer error; data from outside is
// validated with the non-throwing accessors (find, is_*, get_ptr) before it is used.
// Value has deep value semantics: copying a Value copies the whole document.
// Thread-safety: like any value type: concurrent reads of one Value are safe.
#pragma once

#include <nlohmann/json.hpp>

namespace optimystic::block {

using Value = nlohmann::json;

}  // namespace optimystic::block
