// SPDX-License-Identifier: Apache-2.0
// Transforms (SPEC.md §1.6): the change one action makes to one block (Transform) or to many
// (Transforms). Semantic order for one id: insert, then updates, then delete (a delete wins).
// Every helper returns a new value and deep-copies what it takes (SPEC.md §10.1, §10.3): no two
// transforms ever share an inserted block or an operation list.
// Thread-safety: value types and pure functions.
// Errors: ApplyTransform reports a failing operation with the block id.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/operation.h>

#include <map>
#include <optional>
#include <vector>

namespace optimystic::block {

struct Transform {
  std::optional<Value> insert;
  BlockOperations updates;
  bool remove = false;  // "delete" in the spec
  bool operator==(const Transform&) const = default;
};

struct Transforms {
  std::map<BlockId, Value> inserts;
  std::map<BlockId, BlockOperations> updates;
  std::vector<BlockId> deletes;  // distinct in well-formed transforms; order kept
  bool operator==(const Transforms&) const = default;
};

// Distinct union of insert ids, update ids and delete ids, sorted.
std::vector<BlockId> BlockIdsForTransforms(const Transforms& t);
bool IsTransformsEmpty(const Transforms& t);
// inserts: union, b wins on the same id (kept deliberately, SPEC.md §1.6); updates: a's ops then
// b's for a shared id; deletes: deduplicated union, a's order then b's new ones.
Transforms MergeTransforms(const Transforms& a, const Transforms& b);
// Left fold of MergeTransforms from empty.
Transforms ConcatTransforms(const std::vector<Transforms>& all);
// MergeTransforms(ts, TransformsFromTransform(t, id)).
Transforms ConcatTransform(const Transforms& ts, const BlockId& id, const Transform& t);
// The part of `ts` that concerns `id` (copies).
Transform TransformForBlockId(const Transforms& ts, const BlockId& id);
// The inverse of TransformForBlockId for one id.
Transforms TransformsFromTransform(const Transform& t, const BlockId& id);

// Applies `t` to a block (absent when never existed or deleted): start from the insert if any,
// apply the updates when a block exists (updates over an absent block are dropped), and a delete
// makes the result absent.
Result<std::optional<Value>> ApplyTransform(const std::optional<Value>& block, const Transform& t);

}  // namespace optimystic::block
