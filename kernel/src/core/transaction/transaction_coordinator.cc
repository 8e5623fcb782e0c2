// SPDX-License-Identifier: Apache-2.0
#include "core/transaction/transaction_coordinator.h"

#include <algorithm>
#include <set>
#include <utility>

namespace optimystic::core::transaction {

using collection::Collection;
using transactor::StaleFailure;

namespace {

constexpr char kCommitFailed[] = "Transaction commit failed";
constexpr char kOutcomeUnknown[] = "Transaction outcome unknown";

// What a refusal says, for messages: its reason, else what it found.
std::string FailureReason(const StaleFailure& f) {
  if (f.reason.has_value()) {
    return *f.reason;
  }
  if (f.stale_at.has_value()) {
    return "block " + f.stale_at->block_id + " is at rev " + std::to_string(f.stale_at->rev);
  }
  if (!f.missing.empty()) {
    return std::to_string(f.missing.size()) + " committed action(s) not seen, first " +
           f.missing.front().action_id;
  }
  if (!f.pending.empty()) {
    return "action " + f.pending.front().action_id + " is pending on block " +
           f.pending.front().block_id;
  }
  return "stale";
}

std::string Join(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    out += (i == 0 ? "" : ", ") + ids[i];
  }
  return out + "]";
}

}  // namespace

TransactionCoordinator::TransactionCoordinator(transactor::Transactor& transactor,
                                               CollectionMap collections,
                                               CoordinatorServices services)
    : transactor_(transactor),
      collections_(std::move(collections)),
      services_(std::move(services)) {}

Result<Collection*> TransactionCoordinator::CollectionFor(const std::string& id) const {
  auto it = collections_.find(id);
  if (it == collections_.end() || it->second == nullptr) {
    return Status::NotFound("Collection not found: " + id);
  }
  return it->second;
}

Status TransactionCoordinator::Snapshot(std::map<std::string, Collection::PendingSnapshot>& out,
                                        const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    Result<Collection::PendingSnapshot> snapshot = collections_.find(id)->second->SnapshotPending();
    if (!snapshot) {
      return snapshot.error().WithContext("snapshot collection " + id);
    }
    out[id] = std::move(*snapshot);
  }
  return Status::Ok();
}

Status TransactionCoordinator::ApplyActions(const std::vector<CollectionActions>& batches,
                                            const std::string& stamp_id) {
  std::set<std::string> touched;
  for (const CollectionActions& batch : batches) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Collection * c, CollectionFor(batch.collection_id));
    (void)c;
    touched.insert(batch.collection_id);
  }
  auto found = std::find_if(open_.begin(), open_.end(),
                            [&](const OpenStamp& s) { return s.id == stamp_id; });
  const bool fresh = found == open_.end();
  size_t index = static_cast<size_t>(found - open_.begin());
  std::map<std::string, Collection::PendingSnapshot> before;  // for this call's all-or-nothing
  if (fresh) {
    OpenStamp stamp;
    stamp.id = stamp_id;
    std::vector<std::string> all;
    for (const auto& [id, c] : collections_) {
      all.push_back(id);
    }
    OPTIMYSTIC_RETURN_IF_ERROR(Snapshot(stamp.snapshots, all));
    before = stamp.snapshots;
    open_.push_back(std::move(stamp));
    index = open_.size() - 1;
  } else {
    OPTIMYSTIC_RETURN_IF_ERROR(
        Snapshot(before, std::vector<std::string>(touched.begin(), touched.end())));
  }
  for (const CollectionActions& batch : batches) {
    std::vector<collections::Action> actions = batch.actions;
    for (collections::Action& action : actions) {
      action.transaction = stamp_id;
    }
    Status applied = collections_.find(batch.collection_id)->second->Act(std::move(actions));
    if (!applied.ok()) {
      for (const std::string& id : touched) {
        collections_.find(id)->second->RestorePending(before[id]);
      }
      if (fresh) {
        open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(index));
      }
      return applied.WithContext("collection " + batch.collection_id);
    }
  }
  open_[index].batches.insert(open_[index].batches.end(), batches.begin(), batches.end());
  return Status::Ok();
}

Status TransactionCoordinator::Rollback(const std::string& stamp_id) {
  auto found = std::find_if(open_.begin(), open_.end(),
                            [&](const OpenStamp& s) { return s.id == stamp_id; });
  if (found == open_.end()) {
    return Status::NotFound("No open transaction stamp " + stamp_id);
  }
  // A stamp's snapshot was taken at its first use, so it is the earliest of it and every stamp
  // opened after it.
  for (const auto& [id, snapshot] : found->snapshots) {
    collections_.find(id)->second->RestorePending(snapshot);
  }
  std::vector<OpenStamp> later(std::make_move_iterator(found + 1),
                               std::make_move_iterator(open_.end()));
  open_.erase(found, open_.end());
  for (const OpenStamp& stamp : later) {
    OPTIMYSTIC_RETURN_IF_ERROR(ApplyActions(stamp.batches, stamp.id));
  }
  return Status::Ok();
}

std::vector<transactor::ReadDependency> TransactionCoordinator::ReadDependencies() const {
  std::map<block::BlockId, uint64_t> highest;
  for (const auto& [id, c] : collections_) {
    for (const transactor::ReadDependency& read : c->ReadDependencies()) {
      uint64_t& rev = highest[read.block_id];
      rev = std::max(rev, read.revision);
    }
  }
  std::vector<transactor::ReadDependency> out;
  for (const auto& [block_id, revision] : highest) {
    out.push_back(transactor::ReadDependency{block_id, revision});
  }
  return out;
}

TransactionResult TransactionCoordinator::Commit(Transaction& transaction,
                                                 const collection::SyncOptions& options) {
  TransactionResult result;
  result.transaction_id = transaction.id;
  const int64_t start_ms = SteadyMs();
  uint32_t losses = 0;
  std::string reason;
  auto lost = [&](std::string_view why) {
    return Status::Aborted("Transaction " + transaction.id + " lost " + std::to_string(losses) +
                           " times" + (why.empty() ? "" : ": " + std::string(why)));
  };
  while (true) {
    if (IsExpired(transaction.stamp, services_.clock->NowUnixMs())) {
      result.error = Status::TimedOut("Transaction expired at " +
                                      std::to_string(transaction.stamp.expiration_ms));
      return result;
    }
    if (options.deadline_ms.has_value() && SteadyMs() - start_ms >= *options.deadline_ms) {
      result.error = lost("deadline exceeded");
      return result;
    }
    Attempt attempt = CommitOnce(transaction);
    result.committed_collections = attempt.committed;
    result.failed_collections = attempt.failed;
    switch (attempt.kind) {
      case Attempt::Kind::kCommitted:
        result.success = true;
        open_.clear();
        return result;
      case Attempt::Kind::kPartial:
        // Never retried: the committed part would apply twice (pitfall 20).
        open_.clear();
        result.error = Status::Aborted("Transaction partially committed: committed " +
                                       Join(attempt.committed) + "; failed " +
                                       Join(attempt.failed) + ": " + attempt.reason);
        return result;
      case Attempt::Kind::kFailed:
        result.error = attempt.error;
        return result;
      case Attempt::Kind::kStaleLoss:
        break;
    }
    ++losses;
    reason = attempt.reason;
    transaction.priority = ClampPriority(losses);
    if (losses >= options.max_attempts) {
      result.error = lost(reason);
      return result;
    }
    int64_t wait_ms =
        collection::BackoffMs(options, losses - 1, collection::JitterDraw(*services_.random));
    if (options.deadline_ms.has_value()) {
      wait_ms =
          std::min(wait_ms, std::max<int64_t>(0, *options.deadline_ms - (SteadyMs() - start_ms)));
    }
    services_.sleep_ms(wait_ms);
    // Pull what the winners committed (resolving and replaying our pending actions) before the
    // next attempt stages its log entries at the new revisions.
    for (const auto& [id, c] : collections_) {
      Status updated = c->Update();
      if (!updated.ok()) {
        result.error =
            updated.WithContext(std::string(kCommitFailed) + ": update collection " + id);
        return result;
      }
    }
  }
}

TransactionCoordinator::Attempt TransactionCoordinator::CommitOnce(const Transaction& transaction) {
  Attempt out;
  // 1. Participants: every collection with something to commit. Pending actions count even
  // when they changed no block (an append-only type's actions live in the log alone).
  std::vector<Part> parts;
  for (const auto& [id, c] : collections_) {
    if (c->HasUnsyncedChanges()) {
      Part part;
      part.id = id;
      part.collection = c;
      parts.push_back(std::move(part));
    }
  }
  if (parts.empty()) {
    out.kind = Attempt::Kind::kCommitted;
    return out;
  }
  for (const Part& part : parts) {
    out.failed.push_back(part.id);  // until proven otherwise
  }
  // 2–3.
  if (Status staged = Stage(transaction, parts); !staged.ok()) {
    out.error = staged.WithContext(kCommitFailed);
    return out;
  }
  // 4–6 (5, GATHER, is the cluster's: see the file comment).
  if (std::optional<Attempt> lost = PendAll(transaction, parts)) {
    return *lost;
  }
  // 7.
  if (std::optional<Attempt> lost = CommitAll(transaction, parts)) {
    return *lost;
  }
  // 8, all committed.
  out = Attempt{};
  out.kind = Attempt::Kind::kCommitted;
  for (Part& part : parts) {
    FinishCommitted(transaction, part);
    out.committed.push_back(part.id);
  }
  return out;
}

Status TransactionCoordinator::Stage(const Transaction& transaction, std::vector<Part>& parts) {
  // Snapshot every participant before any append, so that any failure restores all of them and
  // a retry never finds a stale entry staged (pitfall 19).
  for (Part& part : parts) {
    Result<Collection::PendingSnapshot> snapshot = part.collection->SnapshotPending();
    if (!snapshot) {
      return snapshot.error().WithContext("collection " + part.id);
    }
    part.snapshot = std::move(*snapshot);
  }
  std::vector<std::string> ids;
  for (const Part& part : parts) {
    ids.push_back(part.id);
  }
  for (Part& part : parts) {
    Result<log::AppendResult> appended =
        part.collection->AppendLogEntry(transaction.id, ids, transaction.reads);
    if (!appended) {
      RestoreAll(parts);
      return appended.error().WithContext("collection " + part.id);
    }
    part.rev = appended->entry.rev;
    part.tail_id = appended->tail_id;
    part.transforms = part.collection->StagedTransforms();
  }
  return Status::Ok();
}

std::optional<TransactionCoordinator::Attempt> TransactionCoordinator::PendAll(
    const Transaction& transaction, std::vector<Part>& parts) {
  std::vector<CollectionTransforms> all;
  for (const Part& part : parts) {
    all.push_back(CollectionTransforms{part.id, part.transforms});
  }
  const std::string operations_hash = HashOperations(all);
  const block::Value transaction_value = TransactionToValue(transaction);
  for (Part& part : parts) {
    transactor::PendRequest request;
    request.action_id = transaction.id;
    request.rev = part.rev;
    request.transforms = part.transforms;
    request.policy = transactor::PendPolicy::kReturn;  // collections always pend with 'r'
    request.transaction = transaction_value;
    request.operations_hash = operations_hash;
    if (transaction.priority > 0) {
      request.priority = transaction.priority;
    }
    Result<transactor::PendResult> pended = transactor_.Pend(request);
    const StaleFailure* refused = pended ? transactor::FailureOf(*pended) : nullptr;
    if (pended && refused == nullptr) {
      const auto& success = std::get<transactor::PendSuccess>(*pended);
      part.pended_ids = success.block_ids.empty() ? block::BlockIdsForTransforms(part.transforms)
                                                  : success.block_ids;
      continue;
    }
    Attempt out;
    for (const Part& p : parts) {
      out.failed.push_back(p.id);
    }
    if (!pended) {
      out.error =
          pended.error().WithContext(std::string(kCommitFailed) + ": pend collection " + part.id);
    } else if (transactor::IsConflictFailure(*refused)) {
      out.kind = Attempt::Kind::kStaleLoss;
      out.reason = "collection " + part.id + ": " + FailureReason(*refused);
    } else {
      out.error = Status::InvalidArgument(std::string(kCommitFailed) + ": collection " + part.id +
                                          ": " + FailureReason(*refused));
    }
    CancelPended(transaction, parts);
    RestoreAll(parts);
    return out;
  }
  return std::nullopt;
}

bool TransactionCoordinator::CommittedDespiteError(const Transaction& transaction,
                                                   const Part& part) {
  Result<std::vector<transactor::BlockActionStatus>> status =
      transactor_.GetStatus({transactor::ActionBlocks{{part.tail_id}, transaction.id}});
  if (!status || status->empty() || status->front().statuses.empty()) {
    return false;
  }
  const transactor::ActionStatus s = status->front().statuses.front();
  return s == transactor::ActionStatus::kCommitted || s == transactor::ActionStatus::kCheckpointed;
}

std::optional<TransactionCoordinator::Attempt> TransactionCoordinator::CommitAll(
    const Transaction& transaction, std::vector<Part>& parts) {
  for (Part& part : parts) {
    transactor::CommitRequest request;
    request.block_ids = part.pended_ids;
    request.action_id = transaction.id;
    request.rev = part.rev;
    request.tail_id = part.tail_id;
    if (part.transforms.inserts.count(part.id) != 0) {
      request.header_id = part.id;  // a new collection: its header commits first (§6.4)
    }
    std::optional<std::string> refused;
    Status error;
    bool errored = false;
    for (uint32_t attempt = 0; attempt < kCommitTransientAttempts; ++attempt) {
      Result<transactor::CommitResult> committed = transactor_.Commit(request);
      if (!committed) {
        error = committed.error();  // may or may not have happened: try again
        errored = true;
        continue;
      }
      if (const StaleFailure* failure = transactor::FailureOf(*committed)) {
        refused = FailureReason(*failure);  // permanent: never retried
      } else {
        part.committed = true;
      }
      break;
    }
    // An attempt that failed in transit may have landed, and then the next is refused (the
    // tail is taken, by this very commit): the tail says which.
    if (!part.committed && errored && CommittedDespiteError(transaction, part)) {
      part.committed = true;  // the commit was decided; only its answer was lost
    }
    if (part.committed) {
      continue;
    }
    CancelPended(transaction, parts);
    Attempt out;
    for (Part& p : parts) {
      if (p.committed) {
        FinishCommitted(transaction, p);
        out.committed.push_back(p.id);
      } else {
        p.collection->RestorePending(p.snapshot);
        out.failed.push_back(p.id);
      }
    }
    // A commit that failed in transit may have been decided anyway: say so, never "failed".
    const std::string why =
        "collection " + part.id + ": " +
        (refused.has_value() ? *refused : std::string(kOutcomeUnknown) + ": " + error.ToString());
    if (!out.committed.empty()) {
      out.kind = Attempt::Kind::kPartial;
      out.reason = why;
    } else if (refused.has_value()) {
      // Nothing landed, so trying again cannot apply anything twice.
      out.kind = Attempt::Kind::kStaleLoss;
      out.reason = why;
    } else {
      out.error = Status::Unavailable(std::string(kOutcomeUnknown) + ": commit collection " +
                                      part.id + ": " + std::string(error.message()));
    }
    return out;
  }
  return std::nullopt;
}

void TransactionCoordinator::FinishCommitted(const Transaction& transaction, Part& part) {
  const uint64_t rev = part.collection->RecordCommitted(transaction.id);
  part.collection->ApplyCommittedToCache(part.transforms, rev);
  part.collection->ClearPendingActions();
}

void TransactionCoordinator::CancelPended(const Transaction& transaction,
                                          const std::vector<Part>& parts) {
  for (const Part& part : parts) {
    if (!part.pended_ids.empty() && !part.committed) {
      // Best effort: the attempt has failed already, and a pend left behind only makes the
      // next writer of those blocks see a pending conflict.
      (void)transactor_.Cancel(transactor::ActionBlocks{part.pended_ids, transaction.id});
    }
  }
}

void TransactionCoordinator::RestoreAll(std::vector<Part>& parts) {
  for (Part& part : parts) {
    part.collection->RestorePending(part.snapshot);
  }
}

TransactionResult TransactionCoordinator::Execute(const TransactionEngine& engine,
                                                  std::vector<std::string> statements,
                                                  StampOptions stamp_options,
                                                  const collection::SyncOptions& options) {
  TransactionResult result;
  if (!open_.empty()) {
    result.error = Status::InvalidArgument("Execute needs a coordinator without open stamps");
    return result;
  }
  Result<std::vector<CollectionActions>> batches = engine.Translate(statements);
  if (!batches) {
    result.error = batches.error();
    return result;
  }
  stamp_options.engine_id = std::string(engine.id());
  const TransactionStamp stamp = CreateStamp(stamp_options, *services_.clock, *services_.random);
  if (Status applied = ApplyActions(*batches, stamp.id); !applied.ok()) {
    result.error = applied;
    return result;
  }
  // The state before this transaction, to withdraw what does not commit.
  const std::map<std::string, Collection::PendingSnapshot> before = open_.back().snapshots;
  Transaction transaction = MakeTransaction(stamp, std::move(statements), ReadDependencies());
  result = Commit(transaction, options);
  if (!result.success) {
    if (result.committed_collections.empty()) {
      (void)Rollback(stamp.id);
    } else {
      for (const std::string& id : result.failed_collections) {
        collections_.find(id)->second->RestorePending(before.at(id));
      }
    }
  }
  for (const auto& [id, c] : collections_) {
    c->ClearReadDependencies();
  }
  return result;
}

int64_t TransactionCoordinator::SteadyMs() const { return services_.clock->SteadyNs() / 1000000; }

}  // namespace optimystic::core::transaction
