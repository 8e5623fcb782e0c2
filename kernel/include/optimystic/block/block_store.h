// SPDX-License-Identifier: Apache-2.0
// BlockSource and BlockStore (SPEC.md §1.5): what chains, B+trees, logs and collections read and
// write blocks through. No caller can change stored state through a read (SPEC.md §10.2): TryGet
// hands out a copy, TryGetRef an immutable shared block (a BlockRef), which a source that keeps
// its blocks immutable returns without copying; that is what makes B+tree reads cheap (a node
// read is a reference count, not a deep copy of a 64-entry document). Stores record operations
// rather than whole blocks, so an overlay (Tracker) can turn a structure's mutations into
// Transforms.
// Thread-safety: an implementation states its own; the core's overlays are single-threaded.
// Errors: storage failures propagate as Status; Get of a missing block is NotFound
// "Missing block (<id>)".
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/operation.h>
#include <optimystic/block/transform.h>

#include <memory>
#include <optional>

namespace optimystic::block {

// An immutable block shared between a source and its readers. Changing a block means making a
// new one (ApplyAndRecord below), never writing through the reference.
using BlockRef = std::shared_ptr<const Value>;

// Why a block is read, for the optimistic-concurrency read set (SPEC.md §6.6).
enum class ReadPurpose : uint8_t { kValue = 0, kNavigation = 1 };

class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // A header for a new block of `type` in this source's collection, with `new_id` or a fresh id.
  virtual Result<BlockHeader> CreateBlockHeader(const BlockType& type,
                                                const std::optional<BlockId>& new_id) = 0;
  // A copy of the block, or nullopt when it does not exist.
  virtual Result<std::optional<Value>> TryGet(const BlockId& id, ReadPurpose purpose) = 0;
  // The block as an immutable shared value, or null when it does not exist; same content and
  // read accounting as TryGet. The default wraps a TryGet copy; sources that keep immutable
  // blocks (stores, caches, overlays) return theirs without copying.
  virtual Result<BlockRef> TryGetRef(const BlockId& id, ReadPurpose purpose);
  virtual Result<BlockId> GenerateId() = 0;
};

class BlockStore : public BlockSource {
 public:
  virtual Status Insert(const Value& block) = 0;
  virtual Status Update(const BlockId& id, const BlockOperation& op) = 0;
  virtual Status Delete(const BlockId& id) = 0;
};

// TryGet, with a missing block as NotFound "Missing block (<id>)".
Result<Value> GetBlock(BlockSource& source, const BlockId& id,
                       ReadPurpose purpose = ReadPurpose::kValue);

// TryGetRef, with a missing block as NotFound "Missing block (<id>)".
Result<BlockRef> GetBlockRef(BlockSource& source, const BlockId& id,
                             ReadPurpose purpose = ReadPurpose::kValue);

// Applies `op` to the caller's copy `block` and records it in `store` against the block's id,
// so that the copy in hand and the store stay the same (SPEC.md §1.4 `apply`).
// On error neither `block` nor the store is changed by this call.
Status ApplyAndRecord(BlockStore& store, Value& block, const BlockOperation& op);
// The same for a shared block: `block` is replaced by a new block with `op` applied (the old one
// is untouched, so other holders keep seeing it). On error neither `block` nor the store changes.
Status ApplyAndRecord(BlockStore& store, BlockRef& block, const BlockOperation& op);

// Writes `t` to `store` in store order: every delete, then every insert, then every update
// (SPEC.md §1.6 applyTransformToStore). Stops at the first error, which names the block; what
// was written before it stays written (a store that needs all-or-nothing wraps this in its own
// batch).
Status ApplyTransformsToStore(const Transforms& t, BlockStore& store);

}  // namespace optimystic::block
