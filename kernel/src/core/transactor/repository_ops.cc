// SPDX-License-Identifier: Apache-2.0
#include "core/transactor/repository_ops.h"

#include <string>
#include <utility>

namespace optimystic::transactor {

using core::repository::ActionRecord;

Result<std::optional<StaleFailure>> ValidateReads(core::repository::Repository& repository,
                                                  const std::vector<ReadDependency>& reads) {
  for (const ReadDependency& read : reads) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ActionRev> latest, repository.Latest(read.block_id));
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

Result<std::vector<BlockActionStatus>> StatusOf(core::repository::Repository& repository,
                                                const std::vector<ActionBlocks>& actions) {
  std::vector<BlockActionStatus> out;
  out.reserve(actions.size());
  for (const ActionBlocks& action : actions) {
    BlockActionStatus status{action.block_ids, action.action_id, {}};
    status.statuses.reserve(action.block_ids.size());
    for (const BlockId& id : action.block_ids) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(ActionRecord record, repository.RecordOf(id, action.action_id));
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

Result<PendResult> ValidateAndPend(core::repository::Repository& repository,
                                   const PendRequest& request) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<StaleFailure> stale,
                              ValidateReads(repository, request.reads));
  if (stale) {
    return PendResult(std::move(*stale));
  }
  return repository.Pend(request);
}

}  // namespace optimystic::transactor
