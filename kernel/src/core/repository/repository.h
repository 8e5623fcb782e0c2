// SPDX-License-Identifier: Apache-2.0
// Repository: one storage node's versioned block store (SPEC.md §1.10, §6.2–6.4) over an ordered
// key-value StorageEngine. Per block it keeps metadata, a revision index, committed and pending
// transforms, and materializations at checkpoints (layout in repository_format.h). It serves the
// IRepo operations get (with read-driven promotion), pend, commit and cancel. Every operation's
// writes go to the engine as one WriteBatch (synced as RepositoryOptions says), so
// a crash never leaves half a commit, pend, cancel or promotion behind. It keeps invariant P
// (no block holds a pending and a committed record of one action: commit and promotion move the
// record in one batch) and invariant L (latest never advances to a revision it cannot
// materialize). It has no clock, randomness or I/O of its own.
// Thread-safety: every method may be called concurrently. Operations take per-block locks, in
// sorted id order, for the blocks they read and write; a get holds one block's lock at a time.
// Errors: refusals that belong to the protocol (stale, missing pending, missing base) are
// StaleFailure values inside the result. A Status error means the operation did not happen:
// engine faults propagate with context, and stored bytes that fail to decode are Corruption
// naming the block id and key.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transactor/transactor_types.h>

#include "core/repository/block_locks.h"
#include "core/repository/block_record.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace optimystic::core::repository {

class BlockReader;

// What a repository holds of one action on one block (SPEC.md §6.7 getStatus).
enum class ActionRecord : uint8_t {
  kNone = 0,       // neither pending nor committed here
  kPending = 1,    // a pending record
  kCommitted = 2,  // in the block's revision history (a committed record)
};

// A block's latest committed revision here (Repository::Heads).
struct BlockHead {
  block::BlockId block_id;
  transactor::ActionRev latest;
  bool operator==(const BlockHead&) const = default;
};

struct RepositoryOptions {
  // WriteOptions::sync of commits, promotions and cancels: durable once an operation returns.
  bool sync = true;
  // Whether pends are synced too (when `sync` is). Off by default, which saves one fsync per
  // transaction: a pend acknowledges nothing, and the synced commit that decides it makes it
  // durable as well, since an engine's writes become durable in order (storage_engine.h). A
  // crash before that commit loses at most a pend that nobody was told of, as if cancelled. A
  // repository whose pends are promises to other peers (votes) must turn it on.
  bool sync_pends = false;
  // Whether other replicas hold these blocks too, each taking a pend once a quorum of them did
  // (replication > 1): this node may have missed a pend of an action that committed. Read-driven
  // promotion then stops at a context action with a revision above the block's latest that it
  // holds no record of, since promoting a later action over it would skip a revision (the block
  // takes it through consensus, whose replicas catch up from their peers first).
  bool replicated = false;
};

class Repository final {
 public:
  // `engine` must outlive the repository.
  explicit Repository(storage::StorageEngine& engine, RepositoryOptions options = {}) noexcept
      : engine_(engine), options_(options) {}
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  // One entry per distinct requested id. With a context, first promotes every
  // context.committed action ahead of the block's latest whose pending record is held here
  // (ascending rev, one batch each), then reads at context.rev, overlaying context.action_id's
  // pending transform when the block holds one. Without a context, reads the latest revision.
  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets);

  // Stores the action's per-block transforms as pending, unless a touched block is stale
  // (committed at or past request.rev, or an insert of an existing block) or, under policies
  // kFail and kReturn, other actions are pending on it (SPEC.md §6.3).
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request);

  // Commits the action's pending records at request.rev on request.block_ids, all or none
  // (SPEC.md §6.4). Idempotent for a block already at (rev, action_id). Refuses with `missing`
  // (grouped by action) and `stale_at` when a block is at or past rev under another action, with
  // "Pending action ... not found" when a record is missing, and with a reason starting
  // "missing-base-revision" (dropping that block's pending record) when a transform without an
  // insert has no committed base here.
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request);
  // What Commit(request) would answer now, without writing: a cluster member's check before it
  // promises to commit (SPEC.md §7.4). The answer may change before a later Commit.
  Result<transactor::CommitResult> CheckCommit(const transactor::CommitRequest& request);

  // The block's committed actions after `after_rev`, ascending, each with its transform of this
  // block: what a replica that missed them replays (pend, then commit at the same rev) to catch
  // up. Empty when the block is at or before `after_rev` here.
  Result<std::vector<transactor::ActionTransforms>> History(const block::BlockId& id,
                                                            uint64_t after_rev);

  // Deletes the action's pending record on each block (absent records are ignored).
  Status Cancel(const transactor::ActionBlocks& actions);

  // The block's latest committed revision; nullopt when nothing was committed here. Reads only
  // the metadata record (no materialization), for read-dependency validation (SPEC.md §6.6).
  Result<std::optional<transactor::ActionRev>> Latest(const block::BlockId& id);

  // Every block committed here, with its latest revision, in block id order: what anti-entropy
  // compares with the other replicas (cluster/repair). One scan over all the repository's keys,
  // reading each block's metadata; blocks holding only pending records are not listed.
  Result<std::vector<BlockHead>> Heads();

  // Whether `action_id` is pending on block `id`, committed there, or neither. Invariant P makes
  // the answer unique; it is read under the block's lock, so a concurrent commit is seen either
  // wholly before or wholly after.
  Result<ActionRecord> RecordOf(const block::BlockId& id, const transactor::ActionId& action_id);

 private:
  Result<transactor::GetBlockResult> GetOne(const block::BlockId& id,
                                            const std::optional<transactor::ActionContext>& ctx);
  // Read-driven promotion (SPEC.md §1.10 step 1). True when a promotion was refused, so that an
  // absent answer for the block is a guess. `meta` is the block's metadata as loaded; it is kept
  // equal to the stored one as promotions advance it. REQUIRES: the block's lock is held.
  Result<bool> Promote(BlockReader& reader, const transactor::ActionContext& ctx,
                       std::optional<BlockMeta>& meta);
  // Commit, or only its checks when `apply` is false.
  Result<transactor::CommitResult> CommitOrCheck(const transactor::CommitRequest& request,
                                                 bool apply);
  Status Write(const storage::WriteBatch& batch, std::string_view what, bool sync);
  Status Write(const storage::WriteBatch& batch, std::string_view what) {
    return Write(batch, what, options_.sync);
  }

  storage::StorageEngine& engine_;
  const RepositoryOptions options_;
  BlockLockTable locks_;
};

}  // namespace optimystic::core::repository
