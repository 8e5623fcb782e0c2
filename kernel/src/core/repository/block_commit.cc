// SPDX-License-Identifier: Apache-2.0
#include "core/repository/block_commit.h"

#include <optimystic/block/block.h>
#include <optimystic/block/codec.h>

#include "core/repository/repository_format.h"

#include <utility>

namespace optimystic::core::repository {
namespace {

BlockCommitPlan Refuse(BlockCommitKind kind, std::string reason) {
  return BlockCommitPlan{kind, std::move(reason), {}};
}

// The metadata after committing (action_id, rev) over `meta`.
BlockMeta Advance(const std::optional<BlockMeta>& meta, const transactor::ActionId& action_id,
                  uint64_t rev) {
  BlockMeta next = meta.value_or(BlockMeta{});
  next.latest = transactor::ActionRev{action_id, rev};
  next.revisions += 1;
  if (next.ranges.empty()) {
    next.ranges.push_back(RevisionRange{rev, std::nullopt});  // the floor: held from here on
  }
  return next;
}

}  // namespace

Result<BlockCommitPlan> PlanBlockCommit(BlockReader& reader, const std::optional<BlockMeta>& meta,
                                        const transactor::ActionId& action_id, uint64_t rev,
                                        const TransformRecord& pending,
                                        storage::WriteBatch& batch) {
  const block::BlockId& id = reader.id();
  const BlockKeys& keys = reader.keys();
  auto at = [&] { return "block " + id + " rev " + std::to_string(rev) + ": "; };
  const bool has_latest = meta.has_value() && meta->latest.has_value();
  std::optional<block::Value> base;
  if (has_latest) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(MaterializedBlock current, reader.Materialize(meta->latest->rev));
    base = std::move(current.block);
  }
  const block::Transform& transform = pending.transform;
  if (!base && !transform.insert) {
    if (!has_latest) {
      return Refuse(BlockCommitKind::kMissingBase,
                    std::string(kMissingBaseRevisionReason) + ": " + at() +
                        "no committed base revision is held here for a transform without insert");
    }
    return Refuse(BlockCommitKind::kRefused, at() + "update of a deleted block (latest rev " +
                                                 std::to_string(meta->latest->rev) +
                                                 " is a tombstone)");
  }
  Result<std::optional<block::Value>> next = block::ApplyTransform(base, transform);
  if (!next) {
    return Refuse(BlockCommitKind::kRefused, at() + std::string(next.error().message()));
  }
  if (*next) {
    if (Status valid = block::ValidateBlock(**next); !valid.ok()) {
      return Refuse(BlockCommitKind::kRefused, at() + std::string(valid.message()));
    }
  }
  batch.Put(keys.Revision(rev), action_id);
  batch.Put(keys.Committed(action_id), pending.bytes);
  batch.Delete(keys.Pending(action_id));
  if (*next) {
    batch.Put(keys.Materialized(rev), block::EncodeBlock(**next));
  }
  if (has_latest) {
    const uint64_t previous = meta->latest->rev;
    const bool checkpoint = meta->revisions % kCheckpointInterval == 0;
    if (!checkpoint && !meta->IsRangeFloor(previous)) {
      batch.Delete(keys.Materialized(previous));
    }
  }
  BlockCommitPlan plan;
  plan.meta = Advance(meta, action_id, rev);
  batch.Put(keys.Meta(), EncodeBlockMeta(plan.meta));
  return plan;
}

}  // namespace optimystic::core::repository
