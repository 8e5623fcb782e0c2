// SPDX-License-Identifier: Apache-2.0
// Tracker (SPEC.md §1.7): a transaction overlay. It is a BlockStore over a BlockSource that
// never writes to the source: inserts, updates and deletes accumulate as Transforms, and reads
// see the source with those transforms laid over it. Reads resolve an id in this order
// (SPEC.md §10.4): an inserted block wins; else a deleted id is absent; else the source's
// block with the id's recorded updates replayed. Deletes stay distinct: deleting an id twice
// records it once, and re-inserting removes it, so a delete-then-reinsert never leaves a stale
// delete behind (upstream's known "phantom delete" is fixed here). Reads and transforms()
// hand out copies.
// Thread-safety: not thread-safe; one Tracker belongs to one transaction on one thread.
// Errors: source errors propagate; Insert of a block without a valid header and Update that
// cannot apply to an inserted block are InvalidArgument; Update of an id deleted in this
// overlay is NotFound "Missing block (<id>)".
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/transform.h>

#include <optional>
#include <set>
#include <vector>

namespace optimystic::block {

class Tracker final : public BlockStore {
 public:
  // OWNERSHIP: `source` must outlive the tracker.
  explicit Tracker(BlockSource& source, Transforms initial = {});

  Result<BlockHeader> CreateBlockHeader(const BlockType& type,
                                        const std::optional<BlockId>& new_id) override;
  Result<std::optional<Value>> TryGet(const BlockId& id, ReadPurpose purpose) override;
  // The source's block as is when this overlay holds no change of it; else a new block.
  Result<BlockRef> TryGetRef(const BlockId& id, ReadPurpose purpose) override;
  Result<BlockId> GenerateId() override;

  // Records a copy of `block` as inserted under its header id and forgets a delete of that id
  // and updates recorded for it (so that what a read shows is what a commit writes).
  Status Insert(const Value& block) override;
  // Applies `op` in place to a block inserted in this overlay; otherwise appends a copy of `op`
  // to the id's updates. On error nothing changes.
  Status Update(const BlockId& id, const BlockOperation& op) override;
  // Drops the id's insert and updates and records the delete (once).
  Status Delete(const BlockId& id) override;

  // Installs `next` and returns the transforms collected so far.
  Transforms Reset(Transforms next = {});
  const Transforms& transforms() const { return transforms_; }
  // Ids touched by the collected transforms, sorted and distinct.
  std::vector<BlockId> TransformedBlockIds() const;
  // The transformed ids that are also in `ids`, sorted.
  std::vector<BlockId> Conflicts(const std::set<BlockId>& ids) const;

 private:
  bool IsDeleted(const BlockId& id) const;

  BlockSource& source_;
  Transforms transforms_;
};

}  // namespace optimystic::block
