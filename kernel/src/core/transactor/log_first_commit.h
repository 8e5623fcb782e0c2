// SPDX-License-Identifier: Apache-2.0
// CommitLogFirst: the order in which an action's blocks take its commit (SPEC.md §6.4
// "transactor-level ordering"), for any transactor, given a way to commit a set of blocks.
// When every block can be committed at once as one atomic step (one repository holds them
// all), that is tried first: all or none is stronger than log-first order and costs one synced
// write instead of three. Otherwise, or when that attempt fails: a header outside block_ids
// first, then the log tail, then the remaining blocks. A refused or failed header or tail
// commit is the result; once the tail has committed the action has its place in the
// collection's order, so a failure on the remaining blocks does not fail the commit: each
// such block is reported to `lag` and converges later through read-driven promotion.
// Thread-safety: a pure algorithm; `commit_blocks` and `lag` are called on the calling thread.
// Errors: InvalidArgument for a request without a tail block; otherwise what `commit_blocks`
// returns for the header or the tail.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/transactor/transactor_types.h>

#include <functional>
#include <string>
#include <vector>

namespace optimystic::transactor {

// A block that did not take a committed action: its commit failed after the action's log tail
// had committed.
struct LaggingCommit {
  ActionId action_id;
  uint64_t rev = 0;
  BlockId block_id;
  std::string reason;  // the refusal's reason or the error status, as text
};

// Commits the request's action on exactly `block_ids`; several blocks are all or none only
// when the caller said so (CommitLogFirst's `atomic_all`).
using CommitBlocksFn = std::function<Result<CommitResult>(std::vector<BlockId> block_ids)>;
// A block that did not take the action after its tail had; `reason` is the refusal or error.
using LagFn = std::function<void(const BlockId& block_id, std::string reason)>;

// `atomic_all`: commit_blocks commits any set of the request's blocks as one atomic step.
Result<CommitResult> CommitLogFirst(const CommitRequest& request,
                                    const CommitBlocksFn& commit_blocks, const LagFn& lag,
                                    bool atomic_all);

// Whether a commit step did not take: an error or a refusal.
bool CommitFailed(const Result<CommitResult>& result);
// A commit step's outcome as text, for logs: "committed", the refusal's reason, or the error.
std::string DescribeCommit(const Result<CommitResult>& result);

}  // namespace optimystic::transactor
