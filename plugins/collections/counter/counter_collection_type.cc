// SPDX-License-Identifier: Apache-2.0
#include "collections/counter/counter_collection_type.h"

#include <optimystic/block/block.h>
#include <optimystic/block/operation.h>
#include <optimystic/btree/traits.h>

#include <limits>
#include <string>

namespace optimystic::plugins::collection_counter {

namespace {

using block::Value;

// The counter's current value, read from its header block. A header we wrote always has one;
// anything else means the stored block is damaged.
Result<int64_t> StoredValue(const Value& header, const block::BlockId& id) {
  auto it = header.find(kValueMember);
  // JSON numbers may come back from storage as signed or unsigned integers; ScalarFromValue
  // accepts both as long as the number fits an int64_t.
  Result<int64_t> value = it == header.end() ? Result<int64_t>(Status::InvalidArgument("missing"))
                                             : btree::ScalarFromValue<int64_t>(*it);
  if (!value.has_value()) {
    return Status::Corruption("counter " + id + ": header value: expected a 64-bit integer");
  }
  return *value;
}

}  // namespace

Result<int64_t> AddDelta(const collections::Action& action) {
  if (action.type != kAddAction) {
    return Status::InvalidArgument("counter: unknown action type '" + action.type +
                                   "' (known: add)");
  }
  const Value& data = action.data;
  if (!data.is_object()) {
    return Status::InvalidArgument("counter add: data must be an object {\"delta\": <integer>}");
  }
  for (const auto& [member, value] : data.items()) {
    if (member != kDeltaMember) {
      return Status::InvalidArgument("counter add: unknown member '" + member + "' (known: delta)");
    }
  }
  auto delta = data.find(kDeltaMember);
  // is_number_integer is true for signed and unsigned integers, false for 1.5 and for 2.0
  // written as a double: a counter counts whole units only.
  if (delta == data.end() || !delta->is_number_integer()) {
    return Status::InvalidArgument("counter add: delta must be an integer");
  }
  if (delta->is_number_unsigned() &&
      delta->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::InvalidArgument("counter add: delta " + delta->dump() +
                                   " is outside the 64-bit signed range");
  }
  return delta->get<int64_t>();
}

Result<Value> CounterCollectionType::CreateHeaderBlock(const block::BlockId& id,
                                                       block::BlockStore& store) const noexcept {
  // The store stamps the collection id into the header; the header's own id is the
  // collection's name, so the engine can find it again.
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header,
                              store.CreateBlockHeader(std::string(kCounterHeaderType), id));
  Value block = block::MakeBlock(header);
  block[std::string(kValueMember)] = int64_t{0};
  return block;
}

Status CounterCollectionType::ValidateAction(const collections::Action& action) const noexcept {
  return AddDelta(action).status();
}

Status CounterCollectionType::ApplyAction(const collections::Action& action,
                                          const block::BlockId& id,
                                          block::BlockStore& store) const noexcept {
  // Validate again: ApplyAction also runs when the engine replays actions after a conflict, and
  // it must never trust its input.
  OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t delta, AddDelta(action));
  // Read and write only through `store`: it is the engine's per-action Atomic, so if anything
  // below fails, nothing of this action is kept.
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value header, block::GetBlock(store, id));
  OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t value, StoredValue(header, id));
  int64_t sum = 0;
  if (__builtin_add_overflow(value, delta, &sum)) {
    return Status::InvalidArgument("counter add: " + std::to_string(value) + " + " +
                                   std::to_string(delta) + " overflows the 64-bit counter");
  }
  // Record the change as an operation (not a whole new block), so the engine can track it.
  return block::ApplyAndRecord(store, header,
                               block::BlockOperation::Assign(std::string(kValueMember), sum));
}

Result<Value> CounterCollectionType::Query(std::string_view name, const Value& args,
                                           collections::CollectionReader& reader) const noexcept {
  if (name != "get") {
    return Status::NotFound("counter: unknown query '" + std::string(name) + "' (known: get)");
  }
  if (!args.is_null() && !(args.is_object() && args.empty())) {
    return Status::InvalidArgument("counter get: takes no arguments");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef header,
                              block::GetBlockRef(reader.blocks(), reader.collection_id()));
  OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t value, StoredValue(*header, reader.collection_id()));
  return Value::object({{std::string(kValueMember), value}});
}

}  // namespace optimystic::plugins::collection_counter
