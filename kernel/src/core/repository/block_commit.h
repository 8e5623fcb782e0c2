// SPDX-License-Identifier: Apache-2.0
// PlanBlockCommit: the one place that turns a block's pending transform into a committed
// revision (SPEC.md §6.4 step 4), used by commit and by read-driven promotion alike, so that
// both keep invariants P and L the same way. It reads the block, decides, and appends the writes
// to a caller's WriteBatch; the caller writes that batch (with the other blocks of the same
// operation) in one atomic engine Write.
// Thread-safety: REQUIRES the caller to hold the block's lock from the reads until its batch is
// written.
// Errors: engine faults and Corruption as Status; a commit this block cannot take is a plan of
// kind kMissingBase or kRefused with a reason, not an error.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/transform.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transactor/transactor_types.h>

#include "core/repository/block_reader.h"
#include "core/repository/block_record.h"

#include <cstdint>
#include <optional>
#include <string>

namespace optimystic::core::repository {

// Reason prefix of a commit refused under invariant L (SPEC.md §1.10).
inline constexpr std::string_view kMissingBaseRevisionReason = "missing-base-revision";

enum class BlockCommitKind : uint8_t {
  kReady = 0,        // the writes are in the batch
  kMissingBase = 1,  // invariant L: no committed base for a transform that needs one
  kRefused = 2,      // the transform cannot apply (update of a deleted block, bad operation)
};

struct BlockCommitPlan {
  BlockCommitKind kind = BlockCommitKind::kReady;
  std::string reason;  // set unless kReady
  BlockMeta meta;      // kReady: the metadata the batch writes
};

// Plans committing `pending` (the block's pending record of `action_id`, as loaded) at `rev` on
// `reader`'s block, whose metadata is `meta`. On kReady appends to `batch`: the revision-index
// entry, the committed transform (the pending record's bytes), the deletion of the pending
// record (invariant P: one batch moves the record), the new tip's materialization (none for a
// tombstone), the pruning of the previous tip's materialization unless it is a checkpoint or
// range floor, and the new metadata. Appends nothing otherwise.
// REQUIRES: rev > meta->latest->rev when there is a latest.
Result<BlockCommitPlan> PlanBlockCommit(BlockReader& reader, const std::optional<BlockMeta>& meta,
                                        const transactor::ActionId& action_id, uint64_t rev,
                                        const TransformRecord& pending, storage::WriteBatch& batch);

}  // namespace optimystic::core::repository
