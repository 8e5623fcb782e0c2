// SPDX-License-Identifier: Apache-2.0
// Action: one operation on a collection (SPEC.md §5.1), e.g. a Tree "replace" or a Diary
// "append". Actions are what a collection's log records and what its type's handler applies to
// the collection's blocks. `timestamp_ms` is the wall-clock time the action was acted on its
// origin node (0 when unknown); the last-writer-wins resolver compares it.
// Thread-safety: a value type. Errors: ActionFromValue returns InvalidArgument naming the member.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>

#include <cstdint>
#include <optional>
#include <string>

namespace optimystic::collections {

struct Action {
  std::string type;
  block::Value data;
  std::optional<std::string> transaction;  // the transaction stamp id, when part of one
  int64_t timestamp_ms = 0;
  bool operator==(const Action&) const = default;
};

// {"type", "data", "transaction"?, "timestamp"?}: the log's and the wire's form of an action.
block::Value ActionToValue(const Action& action);
Result<Action> ActionFromValue(const block::Value& value);

}  // namespace optimystic::collections
