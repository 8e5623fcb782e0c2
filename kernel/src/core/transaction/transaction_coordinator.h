// SPDX-License-Identifier: Apache-2.0
// TransactionCoordinator (SPEC.md §6.8): commits the pending actions of several collections as
// one transaction. Each participant's actions become one entry in its own log under the
// transaction id (collectionIds = every participant, reads = the transaction's reads); each
// entry pends with policy 'r' carrying the transaction and its operations hash, and then each
// collection's log tail commits. There is no cross-collection atomic commit: the tails commit
// one after the other, so a transaction can land partially (a rival takes one tail between pend
// and commit, or a commit fails). The outcome says so honestly and a partial landing is never
// retried (SPEC.md §10 pitfall 20); a loss where nothing committed restores every participant's
// snapshot, taken before the log append (pitfall 19), so a retry appends no duplicate, and is
// retried after a jittered backoff and an update of every collection, with priority
// clamp(losses, 0, 8).
// The pends and commits run one collection after another in collection-id order (the core has
// no threads; the reference runs them concurrently), and the commit phase stops at the first
// failure, so a partial landing touches as few collections as it can. GATHER (step 5, the
// supercluster nominees of the critical blocks) belongs to the network transactor of the
// cluster issue and is left out: pends carry no nominees.
// Thread-safety: not thread-safe; one coordinator serves one caller. A collection handed to it
// must not be acted on or synced by anyone else while a transaction is open on it (a sync would
// commit the transaction's staged actions as its own).
// Errors (TransactionResult::error; `success` false):
//  - NotFound "Collection not found: <id>" (ApplyActions, nothing applied);
//  - the engine's InvalidArgument "statement <i>: ..." (Execute) and the collection type's
//    errors for an action it refuses (nothing of that call stays applied);
//  - TimedOut "Transaction expired at <ms>" (before any attempt past the stamp's expiration);
//  - Aborted "Transaction <id> lost <n> times[: <reason>]" when the stale losses used up the
//    retries (nothing committed);
//  - Aborted "Transaction partially committed: committed <ids>; failed <ids>: <reason>" with
//    committed_collections and failed_collections set (not retryable: the committed part would
//    apply twice);
//  - InvalidArgument "Transaction commit failed: <reason>" for a pend the transactor refused
//    without a conflict (a hard rejection);
//  - Unavailable "Transaction outcome unknown: commit collection <id>: <error>" when the first
//    collection's commit failed in transit and its tail does not show it committed: it may
//    still have been decided (a partial landing names such a collection in its reason the same
//    way, "collection <id>: Transaction outcome unknown: ...");
//  - transactor, storage and update errors, with "Transaction commit failed: " context.
#pragma once

#include <optimystic/base/random_source.h>
#include <optimystic/base/result.h>
#include <optimystic/time/clock.h>
#include <optimystic/transactor/transactor.h>

#include "core/collection/collection.h"
#include "core/transaction/actions_engine.h"
#include "core/transaction/transaction.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace optimystic::core::transaction {

// Appendix A: a commit that fails with an error (not a refusal) is tried this many times.
inline constexpr uint32_t kCommitTransientAttempts = 3;

// OWNERSHIP: the pointers must outlive the coordinator.
struct CoordinatorServices {
  const time::Clock* clock = nullptr;        // expiry, log timestamps, the backoff deadline
  base::RandomSource* random = nullptr;      // stamp nonces, backoff jitter
  std::function<void(int64_t ms)> sleep_ms;  // the backoff wait
};

struct TransactionResult {
  bool success = false;
  std::string transaction_id;                      // empty when no transaction was built
  std::vector<std::string> committed_collections;  // whose log entry committed, sorted
  std::vector<std::string> failed_collections;     // participants whose entry did not, sorted
  Status error;                                    // OK when success
};

class TransactionCoordinator final {
 public:
  // Collections by id. OWNERSHIP: `transactor` and every collection must outlive the
  // coordinator.
  using CollectionMap = std::map<std::string, collection::Collection*, std::less<>>;
  TransactionCoordinator(transactor::Transactor& transactor, CollectionMap collections,
                         CoordinatorServices services);

  // Acts every batch on its collection, each action tagged with transaction = `stamp_id`, all
  // or nothing. The first use of a stamp snapshots every collection for Rollback.
  Status ApplyActions(const std::vector<CollectionActions>& batches, const std::string& stamp_id);
  // Undoes the stamp's ApplyActions: restores the earliest snapshot among it and the stamps
  // opened after it, then re-applies those later stamps' batches in order. NotFound "No open
  // transaction stamp <id>" when the stamp is not open.
  Status Rollback(const std::string& stamp_id);
  // The value reads of every collection (per block the highest revision), by block id.
  std::vector<transactor::ReadDependency> ReadDependencies() const;

  // The retry loop around one commit attempt (see the file comment). On success or a partial
  // landing every open stamp is closed. `transaction.priority` is the aged retry count on
  // return. options.max_attempts counts attempts that lost; deadline_ms bounds the loop.
  TransactionResult Commit(Transaction& transaction, const collection::SyncOptions& options = {});

  // The node's one-shot entry: translates `statements` with `engine`, applies them under a new
  // stamp (`stamp.engine_id` is set to the engine's id), builds the transaction with the
  // collections' reads, commits it, and on failure withdraws what did not commit. REQUIRES: no
  // stamp is open (else InvalidArgument).
  TransactionResult Execute(const TransactionEngine& engine, std::vector<std::string> statements,
                            StampOptions stamp, const collection::SyncOptions& options = {});

 private:
  struct OpenStamp {
    std::string id;
    std::map<std::string, collection::Collection::PendingSnapshot> snapshots;
    std::vector<CollectionActions> batches;
  };
  // One commitOnce and what came of it.
  struct Attempt {
    enum class Kind : uint8_t { kCommitted, kStaleLoss, kPartial, kFailed };
    Kind kind = Kind::kFailed;
    std::vector<std::string> committed;
    std::vector<std::string> failed;
    std::string reason;  // kStaleLoss, kPartial
    Status error;        // kFailed
  };
  // One participant while an attempt runs.
  struct Part {
    std::string id;
    collection::Collection* collection = nullptr;
    collection::Collection::PendingSnapshot snapshot;
    uint64_t rev = 0;
    block::BlockId tail_id;
    block::Transforms transforms;
    std::vector<block::BlockId> pended_ids;  // set once its pend succeeded
    bool committed = false;
  };

  Attempt CommitOnce(const Transaction& transaction);
  // Steps 2–3: snapshot and append for every participant; on error restores the snapshotted.
  Status Stage(const Transaction& transaction, std::vector<Part>& parts);
  // Step 6. nullopt when every part pended; else the attempt's failed outcome (parts restored).
  std::optional<Attempt> PendAll(const Transaction& transaction, std::vector<Part>& parts);
  // Whether `part`'s commit, which failed in transit, was decided all the same: its log tail
  // holds the transaction committed.
  bool CommittedDespiteError(const Transaction& transaction, const Part& part);
  // Step 7: commits until the first failure; returns its reason or error (nullopt: all).
  std::optional<Attempt> CommitAll(const Transaction& transaction, std::vector<Part>& parts);
  // Step 8 for one committed part.
  static void FinishCommitted(const Transaction& transaction, Part& part);
  void CancelPended(const Transaction& transaction, const std::vector<Part>& parts);
  static void RestoreAll(std::vector<Part>& parts);
  Result<collection::Collection*> CollectionFor(const std::string& id) const;
  Status Snapshot(std::map<std::string, collection::Collection::PendingSnapshot>& out,
                  const std::vector<std::string>& ids);
  int64_t SteadyMs() const;

  transactor::Transactor& transactor_;
  const CollectionMap collections_;
  CoordinatorServices services_;
  std::vector<OpenStamp> open_;  // in the order they were opened
};

}  // namespace optimystic::core::transaction
