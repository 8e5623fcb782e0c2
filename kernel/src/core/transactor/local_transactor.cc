// SPDX-License-Identifier: Apache-2.0
#include "core/transactor/local_transactor.h"

#include <string>
#include <utility>
#include <vector>

#include "core/transactor/log_first_commit.h"
#include "core/transactor/repository_ops.h"

namespace optimystic::transactor {
Result<GetBlockResults> LocalTransactor::Get(const BlockGets& gets) {
  return repository_.Get(gets);
}

Result<std::vector<BlockActionStatus>> LocalTransactor::GetStatus(
    const std::vector<ActionBlocks>& actions) {
  return StatusOf(repository_, actions);
}

Result<PendResult> LocalTransactor::Pend(const PendRequest& request) {
  return ValidateAndPend(repository_, request);
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
  // One repository holds every block, so header, tail and rest can be one atomic batch.
  return CommitLogFirst(
      request,
      [&](std::vector<BlockId> block_ids) { return CommitBlocks(request, std::move(block_ids)); },
      [&](const BlockId& block_id, std::string reason) {
        Lag(request, block_id, std::move(reason));
      },
      /*atomic_all=*/true);
}

Status LocalTransactor::Cancel(const ActionBlocks& actions) { return repository_.Cancel(actions); }

}  // namespace optimystic::transactor
