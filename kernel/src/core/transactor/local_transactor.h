// SPDX-License-Identifier: Apache-2.0
// LocalTransactor: the Transactor (SPEC.md §6.1) of a single node, served from its block
// Repository. Get and Cancel are the repository's. Pend first validates the request's read
// dependencies (SPEC.md §6.6: each block must still be at exactly the recorded revision, 0 when
// nothing is committed) and then pends. Commit first tries every block (header, tail and the
// rest) in one repository commit, one atomic batch: when all take it, that is log-first order
// and more. When any refuses, it falls back to log-first (SPEC.md §6.4 "transactor-level
// ordering"): a header outside block_ids first, then the log tail, then the remaining blocks,
// each step its own repository commit. A refused or failed header or tail commit is the call's
// result; once the tail has committed, the action has its place in the collection's order, so a
// failure on the remaining blocks does not fail the call: it is counted and reported to the
// on_lagging_commit hook, and those blocks converge later through read-driven promotion (their
// pending records stay). GetStatus follows the reference in-memory semantics of SPEC.md §6.7.
// Thread-safety: every method may be called from any thread at once (the repository locks per
// block); the hook is called on the committing thread and must be thread-safe itself.
// Errors: protocol refusals are StaleFailure values; the read-dependency refusal has reason
// "Stale read: block <id> was at revision <r> but is now at <c>" and conflict set. A Status
// error means the step did not happen: engine faults from the repository, InvalidArgument for a
// commit without a tail block.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/transactor/transactor.h>
#include <optimystic/transactor/transactor_types.h>

#include "core/repository/repository.h"
#include "core/transactor/log_first_commit.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace optimystic::transactor {

struct LocalTransactorOptions {
  // Called once per lagging block (optional). Core has no logger; the owner logs or counts.
  std::function<void(const LaggingCommit&)> on_lagging_commit;
};

class LocalTransactor final : public Transactor {
 public:
  // OWNERSHIP: `repository` must outlive the transactor.
  explicit LocalTransactor(core::repository::Repository& repository,
                           LocalTransactorOptions options = {})
      : repository_(repository), options_(std::move(options)) {}

  Result<GetBlockResults> Get(const BlockGets& gets) override;
  Result<std::vector<BlockActionStatus>> GetStatus(
      const std::vector<ActionBlocks>& actions) override;
  Result<PendResult> Pend(const PendRequest& request) override;
  Result<CommitResult> Commit(const CommitRequest& request) override;
  Status Cancel(const ActionBlocks& actions) override;

  // Block commits that failed after their action's tail had committed, since construction.
  uint64_t lagging_commits() const noexcept { return lagging_commits_.load(); }

 private:
  // Commits the action on `block_ids` as one repository commit.
  Result<CommitResult> CommitBlocks(const CommitRequest& request, std::vector<BlockId> block_ids);
  void Lag(const CommitRequest& request, const BlockId& block_id, std::string reason);

  core::repository::Repository& repository_;
  const LocalTransactorOptions options_;
  std::atomic<uint64_t> lagging_commits_{0};
};

}  // namespace optimystic::transactor
