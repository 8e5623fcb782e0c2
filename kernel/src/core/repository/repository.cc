// SPDX-License-Identifier: Apache-2.0
#include "core/repository/repository.h"

#include <optimystic/block/codec.h>
#include <optimystic/block/transform.h>

#include "core/block/block_format.h"
#include "core/block/nesting_depth.h"
#include "core/repository/block_commit.h"
#include "core/repository/block_reader.h"
#include "core/repository/block_record.h"
#include "core/repository/repository_format.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::core::repository {
namespace {

using block::BlockId;
using block::Transform;
using transactor::ActionContext;
using transactor::ActionId;
using transactor::ActionPending;
using transactor::ActionRev;
using transactor::ActionTransforms;
using transactor::StaleAt;
using transactor::StaleFailure;

std::vector<BlockId> SortedDistinct(std::vector<BlockId> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// SPEC.md §8 I13: the highest rev wins; ties keep the first.
void NoteStaleAt(std::optional<StaleAt>& stale_at, const BlockId& id, uint64_t rev) {
  if (!stale_at || rev > stale_at->rev) {
    stale_at = StaleAt{id, rev};
  }
}

Status CheckActionId(const ActionId& action_id, std::string_view what) {
  if (action_id.empty()) {
    return Status::InvalidArgument(std::string(what) + ": empty action id");
  }
  return Status::Ok();
}

// The encoder writes any depth but the decoder refuses more than kMaxNestingDepth, so a transform
// nested deeper would be stored and then be unreadable (Corruption on every later read of its
// block): refuse it before anything is written.
Status CheckStorable(const ActionId& action_id, const BlockId& id, const Transform& transform) {
  const size_t depth = block::TransformNestingDepth(transform);
  if (depth > block::format::kMaxNestingDepth) {
    return Status::InvalidArgument(
        "pend " + action_id + ": block " + id + ": the transform nests " + std::to_string(depth) +
        " containers deep, more than the " + std::to_string(block::format::kMaxNestingDepth) +
        " a stored block may (values nest too deeply)");
  }
  return Status::Ok();
}

// What a pend learned about its blocks before deciding.
struct PendScan {
  std::vector<ActionTransforms> missing;
  std::vector<ActionPending> pending;
  std::optional<StaleAt> stale_at;
  std::set<BlockId> satisfied;  // already committed by this action: no pending record to write
};

// SPEC.md §6.3 steps 1–2 for one block. A block this action already committed at exactly the
// requested rev, or committed at all when no rev is given, is satisfied rather than stale: a
// retry must not be refused with its own commit, nor leave a pending record beside a committed
// one (invariant P).
Status ClassifyForPend(BlockReader& reader, const transactor::PendRequest& request,
                       const Transform& transform, PendScan& scan) {
  const BlockId& id = reader.id();
  if (request.rev || transform.insert) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<BlockMeta> meta, reader.LoadMeta());
    const std::optional<ActionRev> latest = meta ? meta->latest : std::nullopt;
    if (latest && request.rev && *latest == ActionRev{request.action_id, *request.rev}) {
      scan.satisfied.insert(id);
      return Status::Ok();
    }
    const uint64_t from = request.rev.value_or(0);
    if (latest && latest->rev >= from) {
      if (request.rev) {
        NoteStaleAt(scan.stale_at, id, latest->rev);
      }
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<ActionRev> revisions,
                                  reader.ListRevisions(from, latest->rev));
      for (const ActionRev& entry : revisions) {
        OPTIMYSTIC_ASSIGN_OR_RETURN(Transform committed, reader.RequireCommitted(entry));
        scan.missing.push_back(ActionTransforms{entry.action_id, entry.rev,
                                                block::TransformsFromTransform(committed, id)});
      }
      return Status::Ok();
    }
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(bool committed, reader.HasCommitted(request.action_id));
  if (committed) {
    scan.satisfied.insert(id);
    return Status::Ok();
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<ActionId> pendings, reader.ListPendings());
  for (ActionId& other : pendings) {
    if (other != request.action_id) {
      scan.pending.push_back(ActionPending{id, std::move(other), std::nullopt});
    }
  }
  return Status::Ok();
}

// Policy 'r': each conflicting action with its transform (pending, or committed if promoted).
Status FillPendingTransforms(storage::StorageEngine& engine, std::vector<ActionPending>& pending) {
  for (ActionPending& entry : pending) {
    BlockReader reader(engine, entry.block_id);
    OPTIMYSTIC_ASSIGN_OR_RETURN(entry.transform, reader.LoadPending(entry.action_id));
    if (!entry.transform) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(entry.transform, reader.LoadCommitted(entry.action_id));
    }
  }
  return Status::Ok();
}

// One block of a pend, with its transform.
struct PendTarget {
  BlockReader reader;
  Transform transform;
};

// One block of a commit that still has to take the action.
struct CommitTarget {
  BlockReader reader;
  std::optional<BlockMeta> meta;
  TransformRecord pending;
};

// Adds the committed actions at revs [from, to] of `reader`'s block to `grouped` (by action).
Status CollectMissing(BlockReader& reader, uint64_t from, uint64_t to,
                      std::map<ActionId, ActionTransforms>& grouped) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<ActionRev> revisions, reader.ListRevisions(from, to));
  for (const ActionRev& entry : revisions) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Transform committed, reader.RequireCommitted(entry));
    ActionTransforms& group = grouped[entry.action_id];
    group.action_id = entry.action_id;
    group.rev = entry.rev;
    group.transforms = block::ConcatTransform(group.transforms, reader.id(), committed);
  }
  return Status::Ok();
}

// Plans every target's commit into `batch`, and the invariant-L drops into `drops`. Returns the
// refusal reasons, missing-base ones first (so the reason starts with their prefix); empty when
// every block is ready.
Result<std::string> PlanCommit(const transactor::CommitRequest& request,
                               std::vector<CommitTarget>& targets, storage::WriteBatch& batch,
                               storage::WriteBatch& drops) {
  std::string reasons;
  for (CommitTarget& target : targets) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(BlockCommitPlan plan,
                                PlanBlockCommit(target.reader, target.meta, request.action_id,
                                                request.rev, target.pending, batch));
    if (plan.kind == BlockCommitKind::kMissingBase) {
      drops.Delete(target.reader.keys().Pending(request.action_id));
      reasons = plan.reason + (reasons.empty() ? "" : "; ") + reasons;
    } else if (plan.kind == BlockCommitKind::kRefused) {
      reasons += (reasons.empty() ? "" : "; ") + plan.reason;
    }
  }
  return reasons;
}

std::vector<ActionTransforms> ByRev(std::map<ActionId, ActionTransforms> grouped) {
  std::vector<ActionTransforms> out;
  out.reserve(grouped.size());
  for (auto& [action_id, group] : grouped) {
    out.push_back(std::move(group));
  }
  std::stable_sort(
      out.begin(), out.end(),
      [](const ActionTransforms& a, const ActionTransforms& b) { return a.rev < b.rev; });
  return out;
}

StaleFailure Reason(std::string reason) {
  StaleFailure failure;
  failure.reason = std::move(reason);
  return failure;
}

}  // namespace

Status Repository::Write(const storage::WriteBatch& batch, std::string_view what, bool sync) {
  storage::WriteOptions options;
  options.sync = sync;
  return engine_.Write(batch, options).WithContext(what);
}

Result<transactor::GetBlockResults> Repository::Get(const transactor::BlockGets& gets) {
  transactor::GetBlockResults results;
  for (const BlockId& id : gets.block_ids) {
    if (results.count(id) != 0) {
      continue;
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::GetBlockResult result, GetOne(id, gets.context));
    results.emplace(id, std::move(result));
  }
  return results;
}

Result<bool> Repository::Promote(BlockReader& reader, const ActionContext& ctx,
                                 std::optional<BlockMeta>& meta) {
  std::vector<ActionRev> committed = ctx.committed;
  std::stable_sort(committed.begin(), committed.end(),
                   [](const ActionRev& a, const ActionRev& b) { return a.rev < b.rev; });
  bool unknown = false;  // a context action above latest that this block holds no record of
  for (const ActionRev& entry : committed) {
    const uint64_t latest = meta && meta->latest ? meta->latest->rev : 0;
    if (entry.rev <= latest || entry.action_id.empty()) {
      continue;
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<TransformRecord> pending,
                                reader.LoadPendingRecord(entry.action_id));
    if (!pending) {
      unknown = true;
      continue;
    }
    if (unknown && options_.replicated) {
      return true;  // the unknown action may be a missed pend of this block (RepositoryOptions)
    }
    storage::WriteBatch batch;
    OPTIMYSTIC_ASSIGN_OR_RETURN(BlockCommitPlan plan, PlanBlockCommit(reader, meta, entry.action_id,
                                                                      entry.rev, *pending, batch));
    const std::string what = "promote " + entry.action_id + " on block " + reader.id();
    if (plan.kind == BlockCommitKind::kMissingBase) {
      // Invariant L: the record can never be promoted here; drop it, the node heals from peers.
      batch.Delete(reader.keys().Pending(entry.action_id));
      OPTIMYSTIC_RETURN_IF_ERROR(Write(batch, what));
      return true;
    }
    if (plan.kind == BlockCommitKind::kRefused) {
      return true;  // each later entry builds on this one: stop here
    }
    OPTIMYSTIC_RETURN_IF_ERROR(Write(batch, what));
    meta = std::move(plan.meta);  // what the batch wrote, under the block's lock
  }
  return false;
}

Result<transactor::GetBlockResult> Repository::GetOne(const BlockId& id,
                                                      const std::optional<ActionContext>& ctx) {
  BlockLocks held = locks_.Lock({id});
  BlockReader reader(engine_, id);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<BlockMeta> meta, reader.LoadMeta());
  bool refused = false;
  if (ctx) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(refused, Promote(reader, *ctx, meta));
  }
  transactor::GetBlockResult result;
  if (meta) {
    result.state.latest = meta->latest;
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(result.state.pendings, reader.ListPendings());
  MaterializedBlock base;
  if (result.state.latest) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(base,
                                reader.Materialize(ctx ? ctx->rev : result.state.latest->rev));
  }
  std::optional<Transform> overlay;
  if (ctx && ctx->action_id) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(overlay, reader.LoadPending(*ctx->action_id));
  }
  if (overlay) {
    // The content at the committed base plus the named pending action; materialized_rev is the
    // base (none for a pending-only insert, which records rev 0).
    Result<std::optional<block::Value>> applied = block::ApplyTransform(base.block, *overlay);
    if (applied) {
      result.block = std::move(*applied);
    }
    if (base.block) {
      result.materialized_rev = base.at->rev;
    }
    if (!result.block && (!applied || !base.block || refused)) {
      result.unavailable = transactor::UnavailableReason::kUnmaterializable;
    }
    return result;
  }
  result.block = std::move(base.block);
  if (base.at) {
    result.materialized_rev = base.at->rev;
  }
  if (!result.block && refused) {
    result.unavailable = transactor::UnavailableReason::kUnmaterializable;
  }
  return result;
}

Result<transactor::PendResult> Repository::Pend(const transactor::PendRequest& request) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckActionId(request.action_id, "pend"));
  const std::vector<BlockId> ids = block::BlockIdsForTransforms(request.transforms);
  BlockLocks held = locks_.Lock(ids);
  PendScan scan;
  std::vector<PendTarget> targets;  // in id order, like `ids`
  targets.reserve(ids.size());
  for (const BlockId& id : ids) {
    PendTarget& target = targets.emplace_back(
        PendTarget{BlockReader(engine_, id), block::TransformForBlockId(request.transforms, id)});
    OPTIMYSTIC_RETURN_IF_ERROR(CheckStorable(request.action_id, id, target.transform));
    OPTIMYSTIC_RETURN_IF_ERROR(ClassifyForPend(target.reader, request, target.transform, scan));
  }
  if (!scan.missing.empty()) {
    StaleFailure failure;
    failure.conflict = true;
    failure.missing = std::move(scan.missing);
    failure.stale_at = scan.stale_at;
    return transactor::PendResult(std::move(failure));
  }
  if (!scan.pending.empty() && request.policy != transactor::PendPolicy::kContinue) {
    if (request.policy == transactor::PendPolicy::kReturn) {
      OPTIMYSTIC_RETURN_IF_ERROR(FillPendingTransforms(engine_, scan.pending));
    }
    StaleFailure failure;
    failure.conflict = true;
    failure.pending = std::move(scan.pending);
    return transactor::PendResult(std::move(failure));
  }
  storage::WriteBatch batch;
  for (const PendTarget& target : targets) {
    if (scan.satisfied.count(target.reader.id()) == 0) {
      batch.Put(target.reader.keys().Pending(request.action_id),
                block::EncodeTransform(target.transform));
    }
  }
  if (!batch.empty()) {
    OPTIMYSTIC_RETURN_IF_ERROR(
        Write(batch, "pend " + request.action_id, options_.sync && options_.sync_pends));
  }
  return transactor::PendResult(transactor::PendSuccess{std::move(scan.pending), ids});
}

Result<transactor::CommitResult> Repository::Commit(const transactor::CommitRequest& request) {
  return CommitOrCheck(request, true);
}

Result<transactor::CommitResult> Repository::CheckCommit(
    const transactor::CommitRequest& request) {
  return CommitOrCheck(request, false);
}

Result<std::vector<ActionTransforms>> Repository::History(const BlockId& id, uint64_t after_rev) {
  BlockLocks held = locks_.Lock({id});
  BlockReader reader(engine_, id);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<BlockMeta> meta, reader.LoadMeta());
  if (!meta || !meta->latest || meta->latest->rev <= after_rev) {
    return std::vector<ActionTransforms>();
  }
  std::map<ActionId, ActionTransforms> grouped;
  OPTIMYSTIC_RETURN_IF_ERROR(CollectMissing(reader, after_rev + 1, meta->latest->rev, grouped));
  return ByRev(std::move(grouped));
}

Result<transactor::CommitResult> Repository::CommitOrCheck(
    const transactor::CommitRequest& request, bool apply) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckActionId(request.action_id, "commit"));
  if (request.rev == 0) {
    return Status::InvalidArgument("commit " + request.action_id + ": rev must be at least 1");
  }
  const std::vector<BlockId> ids = SortedDistinct(request.block_ids);
  BlockLocks held = locks_.Lock(ids);
  std::vector<CommitTarget> targets;
  std::map<ActionId, ActionTransforms> missing;
  std::optional<StaleAt> stale_at;
  for (const BlockId& id : ids) {
    BlockReader reader(engine_, id);
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<BlockMeta> meta, reader.LoadMeta());
    const std::optional<ActionRev> latest = meta ? meta->latest : std::nullopt;
    if (latest && latest->rev >= request.rev) {
      if (*latest == ActionRev{request.action_id, request.rev}) {
        continue;  // already committed here: idempotent
      }
      NoteStaleAt(stale_at, id, latest->rev);
      OPTIMYSTIC_RETURN_IF_ERROR(CollectMissing(reader, request.rev, latest->rev, missing));
      continue;
    }
    targets.push_back(CommitTarget{std::move(reader), std::move(meta), {}});
  }
  if (stale_at) {
    StaleFailure failure;
    failure.missing = ByRev(std::move(missing));
    failure.stale_at = stale_at;
    return transactor::CommitResult(std::move(failure));
  }
  std::string not_found;
  for (CommitTarget& target : targets) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<TransformRecord> pending,
                                target.reader.LoadPendingRecord(request.action_id));
    if (pending) {
      target.pending = std::move(*pending);
    } else {
      not_found += (not_found.empty() ? "" : ", ") + target.reader.id();
    }
  }
  if (!not_found.empty()) {
    return transactor::CommitResult(
        Reason("Pending action " + request.action_id + " not found for block(s): " + not_found));
  }
  storage::WriteBatch batch;
  storage::WriteBatch drops;  // invariant L: pending records that can never be promoted here
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string reasons, PlanCommit(request, targets, batch, drops));
  const std::string what = "commit " + request.action_id + " at rev " + std::to_string(request.rev);
  if (!apply) {  // a check: the plan is dropped unwritten
    if (reasons.empty()) {
      return transactor::CommitResult(transactor::CommitSuccess{});
    }
    return transactor::CommitResult(Reason(std::move(reasons)));
  }
  if (!reasons.empty()) {
    if (!drops.empty()) {
      OPTIMYSTIC_RETURN_IF_ERROR(Write(drops, what + ": drop unpromotable pending records"));
    }
    return transactor::CommitResult(Reason(std::move(reasons)));
  }
  if (!batch.empty()) {
    OPTIMYSTIC_RETURN_IF_ERROR(Write(batch, what));
  }
  return transactor::CommitResult(transactor::CommitSuccess{});
}

Status Repository::Cancel(const transactor::ActionBlocks& actions) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckActionId(actions.action_id, "cancel"));
  const std::vector<BlockId> ids = SortedDistinct(actions.block_ids);
  BlockLocks held = locks_.Lock(ids);
  storage::WriteBatch batch;
  for (const BlockId& id : ids) {
    BlockReader reader(engine_, id);
    OPTIMYSTIC_ASSIGN_OR_RETURN(bool pending, reader.HasPending(actions.action_id));
    if (pending) {
      batch.Delete(reader.keys().Pending(actions.action_id));
    }
  }
  if (batch.empty()) {
    return Status::Ok();
  }
  return Write(batch, "cancel " + actions.action_id);
}

Result<std::optional<ActionRev>> Repository::Latest(const BlockId& id) {
  BlockLocks held = locks_.Lock({id});
  BlockReader reader(engine_, id);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<BlockMeta> meta, reader.LoadMeta());
  return meta ? meta->latest : std::optional<ActionRev>();
}

namespace {

// Keeps the metadata records of a scan over all blocks; other keys are skipped unread.
class MetaSink final : public storage::ScanSink {
 public:
  bool OnEntry(std::string_view key, std::string_view value) noexcept override {
    std::optional<ParsedBlockKey> parsed = ParseBlockKey(key);
    if (!parsed || parsed->tag != kMetaTag) {
      return true;
    }
    Result<BlockMeta> meta = DecodeBlockMeta(value, block::DecodeMode::kTrusted);
    if (!meta) {
      error = Status::Corruption("block " + parsed->id + ": key " + PrintableKey(key) + ": " +
                                 std::string(meta.error().message()));
      return false;
    }
    if (meta->latest) {
      heads.push_back(BlockHead{std::move(parsed->id), *meta->latest});
    }
    return true;
  }
  std::vector<BlockHead> heads;
  Status error = Status::Ok();
};

}  // namespace

Result<std::vector<BlockHead>> Repository::Heads() {
  MetaSink sink;
  OPTIMYSTIC_RETURN_IF_ERROR(
      engine_.Scan(storage::ScanRange::Prefix("b/"), sink).WithContext("listing block heads"));
  OPTIMYSTIC_RETURN_IF_ERROR(sink.error);
  // Key order is escaped-id order, which differs from id order only for ids holding 0x00.
  std::sort(sink.heads.begin(), sink.heads.end(),
            [](const BlockHead& a, const BlockHead& b) { return a.block_id < b.block_id; });
  return std::move(sink.heads);
}

Result<ActionRecord> Repository::RecordOf(const BlockId& id, const ActionId& action_id) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckActionId(action_id, "record of"));
  BlockLocks held = locks_.Lock({id});
  BlockReader reader(engine_, id);
  OPTIMYSTIC_ASSIGN_OR_RETURN(bool pending, reader.HasPending(action_id));
  if (pending) {
    return ActionRecord::kPending;
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(bool committed, reader.HasCommitted(action_id));
  return committed ? ActionRecord::kCommitted : ActionRecord::kNone;
}

}  // namespace optimystic::core::repository
