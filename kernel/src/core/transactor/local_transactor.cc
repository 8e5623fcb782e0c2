// SPDX-License-Identifier: Apache-2.0
#include "core/transactor/local_transactor.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::transactor {
namespace {

using core::repository::ActionRecord;

std::string Describe(const Result<CommitResult>& result) {
  if (!result) {
    return result.error().ToString();
  }
  const StaleFailure* failure = FailureOf(*result);
  if (failure == nullptr) {
    return "committed";
  }
  if (failure->reason) {
    return *failure->reason;
  }
  return "stale: " + std::to_string(failure->missing.size()) + " missing action(s)";
}

bool Failed(const Result<CommitResult>& result) { return !result || FailureOf(*result) != nullptr; }

}  // namespace

Result<GetBlockResults> LocalTransactor::Get(const BlockGets& gets) {
  return repository_.Get(gets);
}

Result<std::vector<BlockActionStatus>> LocalTransactor::GetStatus(
    const std::vector<ActionBlocks>& actions) {
  std::vector<BlockActionStatus> out;
  out.reserve(actions.size());
  for (const ActionBlocks& action : actions) {
    BlockActionStatus status{action.block_ids, action.action_id, {}};
    status.statuses.reserve(action.block_ids.size());
    for (const BlockId& id : action.block_ids) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(ActionRecord record, repository_.RecordOf(id, action.action_id));
      switch (record) {
        case ActionRecord::kPending:
          status.statuses.push_back(ActionStatus::kPending);
          break;
        case ActionRecord::kCommitted:
          status.statuses.push_back(ActionStatus::kCommitted);
          break;
        case ActionRecord::kNone:
          status.statuses.push_back(ActionStatus::kAborted);
          break;
      }
    }
    out.push_back(std::move(status));
  }
  return out;
}

Result<std::optional<StaleFailure>> LocalTransactor::ValidateReads(
    const std::vector<ReadDependency>& reads) {
  for (const ReadDependency& read : reads) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ActionRev> latest, repository_.Latest(read.block_id));
    const uint64_t current = latest ? latest->rev : 0;
    if (current != read.revision) {
      StaleFailure failure;
      failure.reason = "Stale read: block " + read.block_id + " was at revision " +
                       std::to_string(read.revision) + " but is now at " + std::to_string(current);
      failure.conflict = true;
      return std::optional<StaleFailure>(std::move(failure));
    }
  }
  return std::optional<StaleFailure>();
}

Result<PendResult> LocalTransactor::Pend(const PendRequest& request) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<StaleFailure> stale, ValidateReads(request.reads));
  if (stale) {
    return PendResult(std::move(*stale));
  }
  return repository_.Pend(request);
}

Result<CommitResult> LocalTransactor::CommitBlocks(const CommitRequest& request,
                                                   std::vector<BlockId> block_ids) {
  CommitRequest step = request;
  step.block_ids = std::move(block_ids);
  return repository_.Commit(step);
}

void LocalTransactor::Lag(const CommitRequest& request, const BlockId& block_id,
                          std::string reason) {
  lagging_commits_.fetch_add(1);
  if (options_.on_lagging_commit) {
    options_.on_lagging_commit(
        LaggingCommit{request.action_id, request.rev, block_id, std::move(reason)});
  }
}

Result<CommitResult> LocalTransactor::Commit(const CommitRequest& request) {
  if (request.tail_id.empty()) {
    return Status::InvalidArgument("commit " + request.action_id + ": no log tail block");
  }
  // One repository holds every block, so the common case commits header, tail and rest in one
  // atomic batch: all or none, which is stronger than log-first order, with one synced write
  // instead of three. Only when some block refuses is the log-first sequence below needed, so
  // that the log decides and each refusing block is reported as lagging.
  {
    std::vector<BlockId> all = request.block_ids;
    all.push_back(request.tail_id);
    if (request.header_id) {
      all.push_back(*request.header_id);
    }
    if (!Failed(CommitBlocks(request, std::move(all)))) {
      return CommitResult(CommitSuccess{});
    }
  }
  std::set<BlockId> done;
  const bool header_first = request.header_id && *request.header_id != request.tail_id &&
                            std::find(request.block_ids.begin(), request.block_ids.end(),
                                      *request.header_id) == request.block_ids.end();
  if (header_first) {
    Result<CommitResult> header = CommitBlocks(request, {*request.header_id});
    if (Failed(header)) {
      return header;
    }
    done.insert(*request.header_id);
  }
  Result<CommitResult> tail = CommitBlocks(request, {request.tail_id});
  if (Failed(tail)) {
    return tail;
  }
  done.insert(request.tail_id);
  std::vector<BlockId> rest;
  for (const BlockId& id : request.block_ids) {
    if (done.insert(id).second) {
      rest.push_back(id);
    }
  }
  if (rest.empty()) {
    return CommitResult(CommitSuccess{});
  }
  // One batch for the rest in the common case; when it fails, block by block, so that every
  // block that can take the action does, and each one that cannot is reported.
  if (Failed(CommitBlocks(request, rest))) {
    for (const BlockId& id : rest) {
      Result<CommitResult> one = CommitBlocks(request, {id});
      if (Failed(one)) {
        Lag(request, id, Describe(one));
      }
    }
  }
  return CommitResult(CommitSuccess{});
}

Status LocalTransactor::Cancel(const ActionBlocks& actions) { return repository_.Cancel(actions); }

}  // namespace optimystic::transactor
