// SPDX-License-Identifier: Apache-2.0
// What a transactor asks of one repository beyond the repository's own operations: the
// validation of read dependencies before a pend (SPEC.md §6.6) and the status of actions on
// blocks (SPEC.md §6.7, reference in-memory semantics). Shared by the LocalTransactor and the
// peer repository a node serves to the cluster, so that both judge the same way.
// Thread-safety: as the repository's (per-block locks).
// Errors: engine faults from the repository. The read-dependency refusal is a value: reason
// "Stale read: block <id> was at revision <r> but is now at <c>", conflict set.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/transactor/transactor_types.h>

#include <optional>
#include <vector>

#include "core/repository/repository.h"

namespace optimystic::transactor {

// The refusal for the first read whose block moved (0 stands for "nothing committed"), or
// nullopt when every read holds.
Result<std::optional<StaleFailure>> ValidateReads(core::repository::Repository& repository,
                                                  const std::vector<ReadDependency>& reads);

// Pending, committed or (neither) aborted, per action and block.
Result<std::vector<BlockActionStatus>> StatusOf(core::repository::Repository& repository,
                                                const std::vector<ActionBlocks>& actions);

// ValidateReads, then the repository's pend (which, without transforms, pends nothing).
Result<PendResult> ValidateAndPend(core::repository::Repository& repository,
                                   const PendRequest& request);

}  // namespace optimystic::transactor
