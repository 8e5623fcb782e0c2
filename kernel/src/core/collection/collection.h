// SPDX-License-Identifier: Apache-2.0
// Collection (SPEC.md §5): the engine behind every collection, whatever its type. A collection
// is a local optimistic snapshot of one collection's committed state: a TransactorSource under
// the held ActionContext, an LRU CacheSource, a ReadRecordingSource (read dependencies on hits
// and misses) and a Tracker of locally staged transforms, plus the pending actions applied
// locally but not yet committed. The collection's CollectionType applies actions (through a
// per-call Atomic, so a failing action leaves nothing behind) and says which actions overlap;
// its ConflictResolver decides about overlapping pending actions when remote commits arrive.
// Sync pushes the pending actions as one log entry (log-first commit, retried with jittered
// backoff on stale failures); Update pulls remote entries, resolves conflicts, adopts the newer
// context (never a lower one) and only then replays what is still pending (SPEC.md §10.8–9).
// Time, sleeping and randomness are injected (CollectionServices), so tests run instantly and
// deterministically.
// Thread-safety: every public method may be called from any thread; the mutators and the read
// methods serialize on the process-wide latch "Collection:<id>" of the LatchTable, so two
// instances of one collection serialize against each other too. revision() is lock-free.
// Errors (callers branch on the codes):
//  - InvalidArgument from the type for an action it refuses (nothing is staged);
//  - Aborted "sync for collection <id> exhausted <n> retries[: <reason>][, last seen block <b>
//    at rev <r>]" when the retries or the deadline ("deadline exceeded") ran out;
//  - Aborted "conflict rejected by <resolver>: <reason>; local action <json>; remote actions
//    <json>" when the resolver rejected a pending action (it is removed from pending), and
//    Aborted "replay of a <type> action failed: <status>" when a pending action no longer
//    applies to the new state (it is removed too);
//  - NotFound "Log not found for collection <id>" for a header that heads no log;
//  - Corruption "collection <id>: header vanished while holding rev <n>" when the header is
//    gone although this instance holds a committed revision;
//  - Unavailable for unavailable or possibly-stale blocks (transactor_source.h), and transactor
//    and storage errors as they come: none of these is retried.
#pragma once

#include <optimystic/base/random_source.h>
#include <optimystic/base/result.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/cache_source.h>
#include <optimystic/block/tracker.h>
#include <optimystic/collections/action.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/conflict/conflict_resolver.h>
#include <optimystic/log/log.h>
#include <optimystic/time/clock.h>
#include <optimystic/transactor/transactor.h>

#include "core/collection/latch_table.h"
#include "core/collection/transactor_source.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::core::collection {

// Appendix A: sync/commit retry constants.
inline constexpr uint32_t kSyncMaxAttempts = 10;
inline constexpr int64_t kSyncBaseBackoffMs = 100;
inline constexpr int64_t kSyncMaxBackoffMs = 5000;
inline constexpr uint32_t kMaxPriority = 8;
inline constexpr size_t kActionIdBytes = 16;
// The held context keeps only the newest committed actions. Every read under a context makes the
// replica look for a pending record of each listed action newer than the block, so an unbounded
// list (no log checkpoints are written yet) would make every read cost O(revisions). An action
// older than this many revisions is no longer offered for read-driven promotion.
// TODO(#6): write log checkpoints instead, so that the list is the uncheckpointed set (§4.4).
inline constexpr size_t kMaxContextCommitted = 32;

struct SyncOptions {
  uint32_t max_attempts = kSyncMaxAttempts;  // consecutive stale failures before giving up
  int64_t base_backoff_ms = kSyncBaseBackoffMs;
  int64_t max_backoff_ms = kSyncMaxBackoffMs;
  std::optional<int64_t> deadline_ms;  // since the call started (steady clock); none: no limit
};

// The backoff before retry `k` (0-based): min(base·2^k, cap)·(1 − 0.5·u), u in [0, 1).
int64_t BackoffMs(const SyncOptions& options, uint32_t k, double u);
// A uniform draw in [0, 1) from `random`: the u of BackoffMs.
double JitterDraw(base::RandomSource& random);

// The outcome names the conflict hook reports: "replay", "replace", "drop", "reject".
std::string_view ResolutionName(conflict::Resolution::Kind kind) noexcept;

// Called once per pending action a resolver decided about: (resolver name, outcome name).
// The runtime counts optimystic_conflicts_resolved_total{resolver,outcome} with it.
using ConflictObserver = std::function<void(std::string_view resolver, std::string_view outcome)>;

// What a collection needs from its host. OWNERSHIP: every pointer must outlive the collection.
struct CollectionServices {
  const time::Clock* clock = nullptr;        // action timestamps, log timestamps, sync deadlines
  base::RandomSource* random = nullptr;      // block ids, action ids, backoff jitter
  LatchTable* latches = nullptr;             // shared by every collection of the process
  std::function<void(int64_t ms)> sleep_ms;  // the backoff wait (tests: record, don't sleep)
  ConflictObserver on_conflict;              // optional
};

// A plain read of collection `id`'s header at the latest revision: nullopt when absent.
Result<std::optional<block::Value>> ProbeHeader(transactor::Transactor& transactor,
                                                const block::BlockId& id);

class Collection final {
 public:
  // SPEC.md §5.2 open: nullptr when the header is absent (nothing is staged). Otherwise the
  // context is bootstrapped from the log tail's committed state and then from the log.
  // `resolver` null means every overlap is replayed. OWNERSHIP: `transactor`, `type` and
  // `resolver` must outlive the collection.
  static Result<std::unique_ptr<Collection>> Open(transactor::Transactor& transactor,
                                                  const collections::CollectionType& type,
                                                  const conflict::ConflictResolver* resolver,
                                                  const block::BlockId& id,
                                                  CollectionServices services);
  // As Open, but an absent collection is invented locally: its header (from the type) and an
  // empty log block are staged in the tracker, revision 0; nothing reaches storage before the
  // first sync.
  static Result<std::unique_ptr<Collection>> CreateOrOpen(
      transactor::Transactor& transactor, const collections::CollectionType& type,
      const conflict::ConflictResolver* resolver, const block::BlockId& id,
      CollectionServices services);

  ~Collection();
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;

  const block::BlockId& id() const { return id_; }
  const collections::CollectionType& type() const { return type_; }
  // The resolver's name, "replay" when there is none.
  std::string_view resolver_name() const;
  // The committed revision this instance holds (0 before the first sync of a new collection).
  uint64_t revision() const { return revision_.load(std::memory_order_acquire); }

  // SPEC.md §5.3: validates and applies `actions` (each stamped with the clock's time) to the
  // local snapshot, all or nothing, and appends them to pending.
  Status Act(std::vector<collections::Action> actions);
  // SPEC.md §5.4.
  Status Sync(const SyncOptions& options = {});
  // SPEC.md §5.5.
  Status Update();
  // Update then Sync under one latch hold (SPEC.md §5.6).
  Status UpdateAndSync(const SyncOptions& options = {});
  // Act, Update and Sync under one latch hold, for a caller that wants its actions committed or
  // not at all: on any failure the call's actions that are still pending are withdrawn (none of
  // them committed) and the rest of pending is replayed.
  Status ActAndSync(std::vector<collections::Action> actions, const SyncOptions& options = {});

  // SPEC.md §5.6 selectLog: the committed actions, oldest first or newest first (each entry's
  // actions reversed); `limit` 0 = all.
  Result<std::vector<collections::Action>> SelectLog(bool forward, size_t limit = 0);
  // Runs the type's query `name` over the local snapshot (committed state plus staged actions).
  Result<block::Value> Query(std::string_view name, const block::Value& args);
  // Runs `fn` with a reader over the local snapshot, under the latch.
  Status Read(const std::function<Status(collections::CollectionReader&)>& fn);

  // Copies of the pending actions and the held context (for tests and diagnostics).
  std::vector<collections::Action> pending() const;
  std::optional<transactor::ActionContext> context() const;
  bool HasUnsyncedChanges() const;
  // SPEC.md §6.6: the value reads recorded so far, and forgetting them.
  std::vector<transactor::ReadDependency> ReadDependencies() const;
  void ClearReadDependencies();

  // Coordinator hooks (SPEC.md §5.6, §6.8): how a TransactionCoordinator commits this
  // collection's pending actions as its part of a multi-collection transaction. Each locks the
  // latch for itself; between the calls, nobody else may act on or sync this instance (the
  // coordinator owns it for the transaction).
  struct PendingSnapshot {
    block::Transforms transforms;              // the tracker's staged transforms
    std::vector<collections::Action> pending;  // the pending actions, oldest first
  };
  // A copy of the staged state, for a clean restore after a failed commit attempt (pitfall 19).
  // Replays pending first when the tracker does not hold every pending action's effect.
  Result<PendingSnapshot> SnapshotPending();
  // Puts back a snapshot's tracker transforms and pending actions; storage and the held context
  // are untouched.
  void RestorePending(PendingSnapshot snapshot);
  // The rev the next commit takes: the held rev + 1 (1 for an invented collection).
  uint64_t GetNextRev() const;
  // Appends the pending actions to the log on the tracker as one action entry `action_id` at
  // GetNextRev(), with blockIds = the staged ids, `collection_ids` and `reads`. The result names
  // the log tail (the commit's critical block). On error the tracker may hold part of the
  // append: restore a snapshot.
  Result<log::AppendResult> AppendLogEntry(const transactor::ActionId& action_id,
                                           std::vector<std::string> collection_ids,
                                           std::vector<transactor::ReadDependency> reads);
  // A copy of the tracker's staged transforms (what a pend sends).
  block::Transforms StagedTransforms() const;
  // After `action_id` committed at GetNextRev(): adds it to the held context and advances the
  // revision; returns the new revision.
  uint64_t RecordCommitted(const transactor::ActionId& action_id);
  // Folds transforms that committed at `rev` into the cache.
  void ApplyCommittedToCache(const block::Transforms& transforms, uint64_t rev);
  // Forgets the pending actions and the tracker's staged transforms (they committed).
  void ClearPendingActions();

 private:
  class Reader;
  struct PendingAction {
    collections::Action action;
    uint64_t seq = 0;  // identifies the Act call's actions for ActAndSync
  };
  struct SyncFailure {
    uint32_t attempts = 0;
    std::optional<std::string> reason;
    std::optional<transactor::StaleAt> stale_at;
  };

  Collection(transactor::Transactor& transactor, const collections::CollectionType& type,
             const conflict::ConflictResolver* resolver, block::BlockId id,
             CollectionServices services);

  // Open's steps after a present header: bootstrap from the tail, open the log, adopt.
  Status Attach(const block::Value& header);
  Status Invent();

  // REQUIRES (all *Locked): the latch is held.
  Status ActLocked(std::vector<collections::Action> actions, uint64_t seq);
  Status SyncLocked(const SyncOptions& options);
  // One commit attempt of everything pending (as `action_id`, at the held rev + 1). On success
  // the batch leaves pending and the context, cache and tracker move to the new rev; a refusal
  // is returned and changes nothing.
  Result<std::optional<transactor::StaleFailure>> AttemptLocked(
      const transactor::ActionId& action_id, uint32_t priority);
  // Pulls remote entries. Rejected and unreplayable pending actions are removed and described
  // in `rejections`; the caller turns them into its Aborted error.
  Status UpdateLocked(std::vector<std::string>& rejections);
  // Runs one resolver round for the pending actions against one remote entry. True when pending
  // changed.
  bool ResolvePending(const std::vector<collections::Action>& remote,
                      std::vector<std::string>& rejections);
  // Resets the tracker and re-applies every pending action; actions the type refuses
  // (InvalidArgument) are removed and described in `rejections`. Any other error keeps pending
  // as is, leaves replay_needed_ set (the next call replays again) and is returned.
  Status ReplayPending(std::vector<std::string>& rejections);
  // Adopts `next` unless it is older than the held context (SPEC.md §10.8).
  void AdoptContext(const std::optional<transactor::ActionContext>& next);
  void SetContext(std::optional<transactor::ActionContext> context);
  Status ApplyOne(const collections::Action& action, block::BlockStore& store);
  Result<transactor::ActionId> NewActionId();
  int64_t SteadyMs() const;
  static Status Rejected(const std::vector<std::string>& rejections);
  Status SyncExhausted(const SyncFailure& failure, std::string_view reason) const;
  Result<std::vector<collections::Action>> SelectLogLocked(bool forward, size_t limit);

  transactor::Transactor& transactor_;
  const collections::CollectionType& type_;
  const conflict::ConflictResolver* resolver_;
  const block::BlockId id_;
  CollectionServices services_;
  std::shared_ptr<std::mutex> latch_;

  ReadCollector collector_;
  TransactorSource source_;
  block::CacheSource cache_;
  ReadRecordingSource reading_;
  block::Tracker tracker_;
  std::vector<PendingAction> pending_;
  uint64_t next_seq_ = 1;
  bool replay_needed_ = false;  // the tracker does not hold every pending action's effect
  std::atomic<uint64_t> revision_{0};
};

}  // namespace optimystic::core::collection
