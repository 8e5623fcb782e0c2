// SPDX-License-Identifier: Apache-2.0
// The value types of the transactor protocol (SPEC.md §1.9, §6.1–6.4): revisions and action
// contexts, the requests and results of get, pend, commit and cancel, and the stale-failure shape
// every refusal shares. They are plain aggregates with deep value semantics (blocks and transforms
// are copied with them, SPEC.md §10.1) and operator==, so that repositories, transactors and the
// wire codec hand them around by value. Revisions are per-collection counters starting at 1; 0
// means "no revision". A result that can fail is a std::variant of its success type and
// StaleFailure; transport or storage faults are not results but the Status of the call that
// produced them.
// Thread-safety: value types; concurrent reads of one object are safe.
// Errors: none here.
#pragma once

#include <optimystic/block/block.h>
#include <optimystic/block/transform.h>
#include <optimystic/block/value.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace optimystic::transactor {

using block::BlockId;
// Unique per commit attempt (SPEC.md §1.9).
using ActionId = std::string;

struct ActionRev {
  ActionId action_id;
  uint64_t rev = 0;
  bool operator==(const ActionRev&) const = default;
};

// The reader's knowledge: its latest known rev, the actions that may not yet be checkpointed
// (their pending records may still need promotion), and optionally an uncommitted action to
// overlay.
struct ActionContext {
  std::vector<ActionRev> committed;
  uint64_t rev = 0;
  std::optional<ActionId> action_id;
  bool operator==(const ActionContext&) const = default;
};

// A block read by a transaction and the revision it was read at (SPEC.md §6.6).
struct ReadDependency {
  BlockId block_id;
  uint64_t revision = 0;
  bool operator==(const ReadDependency&) const = default;
};

// No context: read the latest revision.
struct BlockGets {
  std::vector<BlockId> block_ids;
  std::optional<ActionContext> context;
  bool operator==(const BlockGets&) const = default;
};

struct ActionBlocks {
  std::vector<BlockId> block_ids;
  ActionId action_id;
  bool operator==(const ActionBlocks&) const = default;
};

// Why a get entry without a block is a guess rather than "does not exist" (SPEC.md §6.2).
enum class UnavailableReason : uint8_t {
  kUnmaterializable = 0,
  kPeersUnreachable = 1,
  kCohortUnreachable = 2,
  kClaimedElsewhere = 3,
};

struct BlockState {
  std::optional<ActionRev> latest;  // the newest revision the answering repository holds
  std::vector<ActionId> pendings;   // actions pending on the block
  bool operator==(const BlockState&) const = default;
};

// Three-valued: present (block set), authoritatively absent (no block, no flag), or unavailable
// (no block, `unavailable` set: never read that as "does not exist").
struct GetBlockResult {
  std::optional<block::Value> block;
  BlockState state;
  std::optional<uint64_t> materialized_rev;  // the rev the content is AT (read dependencies)
  std::optional<UnavailableReason> unavailable;
  std::optional<uint64_t> unconfirmed_ahead_rev;
  bool operator==(const GetBlockResult&) const = default;
};

using GetBlockResults = std::map<BlockId, GetBlockResult>;

// How a pend treats other actions already pending on its blocks (SPEC.md §6.3).
enum class PendPolicy : char {
  kContinue = 'c',  // proceed anyway
  kFail = 'f',      // refuse, naming the pending actions
  kReturn = 'r',    // refuse, naming them with their transforms
};

struct PendRequest {
  ActionId action_id;
  std::optional<uint64_t> rev;  // the rev the action will take (client's known rev + 1)
  block::Transforms transforms;
  PendPolicy policy = PendPolicy::kContinue;
  std::optional<block::Value> transaction;  // multi-collection transaction, for validation
  std::optional<std::string> operations_hash;
  std::vector<std::string> supercluster_nominees;  // peer ids
  std::optional<uint32_t> priority;
  // Blocks the action read and at which revision; each must still be at exactly that revision,
  // else the pend is refused "Stale read: ..." with conflict set (SPEC.md §6.6).
  std::vector<ReadDependency> reads;
  bool operator==(const PendRequest&) const = default;
};

struct ActionPending {
  BlockId block_id;
  ActionId action_id;
  std::optional<block::Transform> transform;  // set under PendPolicy::kReturn
  bool operator==(const ActionPending&) const = default;
};

struct ActionTransforms {
  ActionId action_id;
  std::optional<uint64_t> rev;
  block::Transforms transforms;
  bool operator==(const ActionTransforms&) const = default;
};

struct StaleAt {
  BlockId block_id;
  uint64_t rev = 0;
  bool operator==(const StaleAt&) const = default;
};

// A refused pend or commit. Empty vectors stand for absent members.
struct StaleFailure {
  std::optional<std::string> reason;
  std::vector<ActionTransforms> missing;  // committed actions the writer has not seen
  std::vector<ActionPending> pending;     // actions pending on the writer's blocks
  std::optional<bool> conflict;           // unset on commit failures
  std::optional<StaleAt> stale_at;        // the touched block with the highest latest rev
  bool operator==(const StaleFailure&) const = default;
};

// SPEC.md §8 I12: `conflict` when present, else a non-empty `missing` or `pending`.
inline bool IsConflictFailure(const StaleFailure& f) {
  if (f.conflict.has_value()) {
    return *f.conflict;
  }
  return !f.missing.empty() || !f.pending.empty();
}

struct PendSuccess {
  std::vector<ActionPending> pending;  // the conflicting pending actions seen (policy 'c')
  std::vector<BlockId> block_ids;      // the blocks the action now pends on
  bool operator==(const PendSuccess&) const = default;
};

using PendResult = std::variant<PendSuccess, StaleFailure>;

struct CommitRequest {
  std::vector<BlockId> block_ids;
  ActionId action_id;
  uint64_t rev = 0;
  BlockId tail_id;                   // the collection's log tail block
  std::optional<BlockId> header_id;  // a new collection's header block
  bool operator==(const CommitRequest&) const = default;
};

struct CommitSuccess {
  std::optional<std::string> coordinator_id;
  bool operator==(const CommitSuccess&) const = default;
};

using CommitResult = std::variant<CommitSuccess, StaleFailure>;

// The failure of a pend or commit result, or nullptr on success.
inline const StaleFailure* FailureOf(const PendResult& r) { return std::get_if<StaleFailure>(&r); }
inline const StaleFailure* FailureOf(const CommitResult& r) {
  return std::get_if<StaleFailure>(&r);
}

// getStatus (SPEC.md §6.7): what became of an action on each of its blocks.
enum class ActionStatus : uint8_t {
  kPending = 0,
  kCommitted = 1,
  kCheckpointed = 2,
  kAborted = 3,
  kCommittedInvalidated = 4,
};

struct BlockActionStatus {
  std::vector<BlockId> block_ids;
  ActionId action_id;
  std::vector<ActionStatus> statuses;  // one per block id
  bool operator==(const BlockActionStatus&) const = default;
};

}  // namespace optimystic::transactor
