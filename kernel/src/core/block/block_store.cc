// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/block_store.h>

#include <utility>

namespace optimystic::block {

Result<Value> GetBlock(BlockSource& source, const BlockId& id, ReadPurpose purpose) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> block, source.TryGet(id, purpose));
  if (!block.has_value()) {
    return Status::NotFound("Missing block (" + id + ")");
  }
  return std::move(*block);
}

Result<BlockRef> BlockSource::TryGetRef(const BlockId& id, ReadPurpose purpose) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> block, TryGet(id, purpose));
  if (!block.has_value()) return BlockRef();
  return BlockRef(std::make_shared<const Value>(std::move(*block)));
}

Result<BlockRef> GetBlockRef(BlockSource& source, const BlockId& id, ReadPurpose purpose) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(BlockRef block, source.TryGetRef(id, purpose));
  if (block == nullptr) {
    return Status::NotFound("Missing block (" + id + ")");
  }
  return block;
}

namespace {

// A copy of `block` with `op` applied, after `store` recorded `op`; errors carry the block id.
Result<Value> RecordedCopy(BlockStore& store, const Value& block, const BlockOperation& op) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(BlockHeader header, HeaderOf(block));
  // Apply to a copy first: an operation that cannot apply is never recorded.
  Result<Value> changed = WithOperation(block, op);
  if (!changed.has_value()) {
    return changed.error().WithContext("block " + header.id);
  }
  Status status = store.Update(header.id, op);
  if (!status.ok()) {
    return status.WithContext("update block " + header.id);
  }
  return changed;
}

}  // namespace

Status ApplyAndRecord(BlockStore& store, Value& block, const BlockOperation& op) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block, RecordedCopy(store, block, op));
  return Status::Ok();
}

Status ApplyAndRecord(BlockStore& store, BlockRef& block, const BlockOperation& op) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value changed, RecordedCopy(store, *block, op));
  block = std::make_shared<const Value>(std::move(changed));
  return Status::Ok();
}

Status ApplyTransformsToStore(const Transforms& t, BlockStore& store) {
  for (const BlockId& id : t.deletes) {
    Status status = store.Delete(id);
    if (!status.ok()) {
      return status.WithContext("delete block " + id);
    }
  }
  for (const auto& [id, block] : t.inserts) {
    Status status = store.Insert(block);
    if (!status.ok()) {
      return status.WithContext("insert block " + id);
    }
  }
  for (const auto& [id, ops] : t.updates) {
    for (const BlockOperation& op : ops) {
      Status status = store.Update(id, op);
      if (!status.ok()) {
        return status.WithContext("update block " + id);
      }
    }
  }
  return Status::Ok();
}

}  // namespace optimystic::block
