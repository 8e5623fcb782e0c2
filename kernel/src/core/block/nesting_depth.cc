// SPDX-License-Identifier: Apache-2.0
#include "core/block/nesting_depth.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace optimystic::block {

size_t NestingDepth(const Value& value) {
  // Iterative: the values checked here are the ones too deep for comfortable recursion.
  size_t deepest = 0;
  std::vector<std::pair<const Value*, size_t>> stack = {{&value, 1}};
  while (!stack.empty()) {
    auto [current, depth] = stack.back();
    stack.pop_back();
    if (!current->is_array() && !current->is_object()) {
      continue;
    }
    deepest = std::max(deepest, depth);
    for (const Value& child : *current) {
      if (child.is_array() || child.is_object()) {
        stack.emplace_back(&child, depth + 1);
      }
    }
  }
  return deepest;
}

size_t TransformNestingDepth(const Transform& t) {
  // {"delete"?, "insert"?: block, "updates"?: [[entity, index, deleteCount, inserted?], ...]}
  size_t deepest = 1;
  if (t.insert.has_value()) {
    deepest = std::max(deepest, 1 + NestingDepth(*t.insert));
  }
  if (!t.updates.empty()) {
    deepest = std::max<size_t>(deepest, 3);
    for (const BlockOperation& op : t.updates) {
      if (op.inserted.has_value()) {
        deepest = std::max(deepest, 3 + NestingDepth(*op.inserted));
      }
    }
  }
  return deepest;
}

}  // namespace optimystic::block
