// SPDX-License-Identifier: Apache-2.0
// Transactor (SPEC.md §6.1): what a collection reads and commits through. get, getStatus,
// pend, commit and cancel over the value types of transactor_types.h. The LocalTransactor
// serves them from this node's repository; the NetworkTransactor (cluster) from the peers that
// hold each block. Commit is log-first (SPEC.md §6.4): a new collection's header outside
// block_ids, then the log tail, then the rest; once the tail has committed the action has its
// place in the collection's order and the call succeeds.
// Thread-safety: every method may be called from any thread at once.
// Errors: protocol refusals are StaleFailure values inside the result (SPEC.md §6.3–6.4); a
// Status error means the operation did not happen (storage or transport fault).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/transactor/transactor_types.h>

#include <vector>

namespace optimystic::transactor {

class Transactor {
 public:
  virtual ~Transactor() = default;
  virtual Result<GetBlockResults> Get(const BlockGets& gets) = 0;
  virtual Result<std::vector<BlockActionStatus>> GetStatus(
      const std::vector<ActionBlocks>& actions) = 0;
  virtual Result<PendResult> Pend(const PendRequest& request) = 0;
  virtual Result<CommitResult> Commit(const CommitRequest& request) = 0;
  virtual Status Cancel(const ActionBlocks& actions) = 0;
};

}  // namespace optimystic::transactor
