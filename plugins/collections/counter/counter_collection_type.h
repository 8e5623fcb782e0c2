// SPDX-License-Identifier: Apache-2.0
// CounterCollectionType: a collection holding one 64-bit signed integer. It is the worked example
// for plugin authors (docs/writing-a-plugin.md walks through it line by line), so it is kept
// small and every part of the CollectionType contract is visible in it:
//
//   header block   type "CNT": {header, value}   (value starts at 0; the engine adds the log
//                  pointers headId/tailId to the same block)
//   action "add"   data {"delta": <integer>}     adds delta to value; a decrement is a negative
//                  delta. ValidateAction refuses a missing or non-integer delta and one outside
//                  the 64-bit signed range; ApplyAction refuses a sum that would overflow.
//   overlaps       always: every add changes the same value
//   query "get"    args {}                       -> {"value": <integer>}
//   resolver       "sum" (the conflict.sum plugin in this folder, sum_resolver.h)
//
// Thread-safety: immutable; every method may be called from any thread at once (the engine does).
// Errors: InvalidArgument with messages starting "counter add: " for bad actions and
// "counter get: " for bad query arguments; NotFound for an unknown query; Corruption when the
// stored header has no integer value.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/collections/action.h>
#include <optimystic/collections/collection_type.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::plugins::collection_counter {

inline constexpr std::string_view kCounterTypeName = "counter";
inline constexpr std::string_view kCounterHeaderType = "CNT";
inline constexpr std::string_view kAddAction = "add";
inline constexpr std::string_view kValueMember = "value";
inline constexpr std::string_view kDeltaMember = "delta";

// The delta of an "add" action, or InvalidArgument saying what is wrong with it. Shared by the
// type (ValidateAction, ApplyAction) and the sum resolver, which merges only what this accepts.
Result<int64_t> AddDelta(const collections::Action& action);

class CounterCollectionType final : public collections::CollectionType {
 public:
  // --- Identity: what clients and YAML call this type, and its block type code. ---
  std::string_view name() const noexcept override { return kCounterTypeName; }
  std::string_view header_block_type() const noexcept override { return kCounterHeaderType; }
  std::string_view default_resolver() const noexcept override { return "sum"; }

  // --- Birth: the header of a new counter, {header, value: 0}. Needs no other block. ---
  Result<block::Value> CreateHeaderBlock(const block::BlockId& id,
                                         block::BlockStore& store) const noexcept override;

  // --- Actions: checked when a client sends them, applied to the blocks through `store`. ---
  Status ValidateAction(const collections::Action& action) const noexcept override;
  Status ApplyAction(const collections::Action& action, const block::BlockId& id,
                     block::BlockStore& store) const noexcept override;
  bool Overlaps(const collections::Action&, const collections::Action&) const noexcept override {
    return true;
  }

  // --- Queries: read-only answers over the collection as this node sees it. ---
  std::vector<std::string> query_names() const override { return {"get"}; }
  Result<block::Value> Query(std::string_view name, const block::Value& args,
                             collections::CollectionReader& reader) const noexcept override;
};

}  // namespace optimystic::plugins::collection_counter
