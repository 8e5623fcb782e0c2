// SPDX-License-Identifier: Apache-2.0
#include "core/transactor/log_first_commit.h"

#include <algorithm>
#include <set>
#include <utility>

namespace optimystic::transactor {

bool CommitFailed(const Result<CommitResult>& result) {
  return !result || FailureOf(*result) != nullptr;
}

std::string DescribeCommit(const Result<CommitResult>& result) {
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

Result<CommitResult> CommitLogFirst(const CommitRequest& request,
                                    const CommitBlocksFn& commit_blocks, const LagFn& lag,
                                    bool atomic_all) {
  if (request.tail_id.empty()) {
    return Status::InvalidArgument("commit " + request.action_id + ": no log tail block");
  }
  // Only when some block refuses is the sequence below needed, so that the log decides and
  // each refusing block is reported as lagging.
  if (atomic_all) {
    std::vector<BlockId> all = request.block_ids;
    all.push_back(request.tail_id);
    if (request.header_id) {
      all.push_back(*request.header_id);
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    if (!CommitFailed(commit_blocks(std::move(all)))) {
      return CommitResult(CommitSuccess{});
    }
  }
  std::set<BlockId> done;
  const bool header_first = request.header_id && *request.header_id != request.tail_id &&
                            std::find(request.block_ids.begin(), request.block_ids.end(),
                                      *request.header_id) == request.block_ids.end();
  if (header_first) {
    Result<CommitResult> header = commit_blocks({*request.header_id});
    if (CommitFailed(header)) {
      return header;
    }
    done.insert(*request.header_id);
  }
  Result<CommitResult> tail = commit_blocks({request.tail_id});
  if (CommitFailed(tail)) {
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
  // One step for the rest in the common case; when it fails, block by block, so that every
  // block that can take the action does, and each one that cannot is reported.
  if (CommitFailed(commit_blocks(rest))) {
    for (const BlockId& id : rest) {
      Result<CommitResult> one = commit_blocks({id});
      if (CommitFailed(one)) {
        lag(id, DescribeCommit(one));
      }
    }
  }
  return CommitResult(CommitSuccess{});
}

}  // namespace optimystic::transactor
