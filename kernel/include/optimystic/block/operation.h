// SPDX-License-Identifier: Apache-2.0
// BlockOperation (SPEC.md §1.4): [entity, index, deleteCount, inserted]. When `inserted` is an
// array the operation splices the array member `entity` (remove delete_count elements at index,
// insert the elements of `inserted`; index and delete_count clamp to the array like JS splice);
// otherwise it assigns `inserted` to `entity` (index and delete_count ignored), and an absent
// `inserted` removes the member (JS `undefined`). So arrays are always edited by splice, never
// assigned whole.
// Thread-safety: pure functions over values.
// Errors: InvalidArgument when a splice targets a member that is missing or not an array, or the
// block is not an object, naming the entity.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace optimystic::block {

struct BlockOperation {
  std::string entity;
  uint64_t index = 0;
  uint64_t delete_count = 0;
  std::optional<Value> inserted;  // nullopt: remove the member
  bool operator==(const BlockOperation&) const = default;

  // Assigns `value` to `entity` (REQUIRES: value is not an array).
  static BlockOperation Assign(std::string entity, Value value);
  // Removes the member `entity`.
  static BlockOperation Clear(std::string entity);
  // Splices the array member `entity`. REQUIRES: inserted.is_array().
  static BlockOperation Splice(std::string entity, uint64_t index, uint64_t delete_count,
                               Value inserted);
};

using BlockOperations = std::vector<BlockOperation>;

// Applies `op` to `block` in place. On error `block` is unchanged.
Status ApplyOperation(Value& block, const BlockOperation& op);
// Applies `ops` in order; stops at the first error (earlier ops stay applied).
Status ApplyOperations(Value& block, const BlockOperations& ops);
// A copy of `block` with `op` applied; `block` is untouched.
Result<Value> WithOperation(const Value& block, const BlockOperation& op);

}  // namespace optimystic::block
