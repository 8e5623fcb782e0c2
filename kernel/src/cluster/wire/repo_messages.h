// SPDX-License-Identifier: Apache-2.0
// The payloads of the peer messages (message_type.h): the repo service, through which one peer
// asks another's repository to get, report on, pend, commit or cancel (SPEC.md §6.1, the
// transactor value types of optimystic/transactor/transactor_types.h), and membership exchange.
// Each message has a ToPayload, which never fails, and a FromPayload that checks everything it
// reads. Conventions, shared by every message here and listed in docs/protocol.md:
// - Member names are camelCase. A reader ignores members it does not know (wire_format.h).
// - A std::optional member is omitted when absent, never written as null, and reads as absent
//   when missing. Every other member is always written and must be present, except a stale
//   failure's `missing` and `pending`, which are omitted when empty and read as empty.
// - Revisions are unsigned 64-bit integers; a priority is an unsigned 32-bit integer.
// - Block ids, action ids and peer ids are non-empty text strings.
// - Enumerations are text: UnavailableReason "unmaterializable" | "peers-unreachable" |
//   "cohort-unreachable" | "claimed-elsewhere"; PendPolicy "c" | "f" | "r"; ActionStatus
//   "pending" | "committed" | "checkpointed" | "aborted" | "committed-invalidated".
// - A block, a transform and transforms have the Value forms of optimystic/block/codec.h (a
//   block must pass ValidateBlock); the codec reads those, and it refuses members it does not
//   know. A pend or commit result is a map whose "success" says which variant it holds.
// - No array and no map a reader walks has more than kMaxPeerPayloadEntries elements; the
//   envelope's size limit bounds everything else (a block's contents, a transform's operations).
// Refusals are InvalidArgument naming the message and the member's path, e.g. "repo.pend payload
// member 'request.reads[2].revision': expected an unsigned 64-bit integer".
// Thread-safety: value types and pure functions.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/block/value.h>
#include <optimystic/transactor/transactor_types.h>

#include "core/repository/repository.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace optimystic::cluster::wire {

// The most elements of one array, or members of one map, in a peer payload: a bound on the work
// a reader does for one message, which the envelope's size limit alone would leave in the
// millions.
inline constexpr size_t kMaxPeerPayloadEntries = 100000;

// ---- Repo service (SPEC.md §6.1) -------------------------------------------------------------
// Shapes shared by the messages below (every member as the file comment says):
//   ActionRev          {"actionId": text, "rev": u64}
//   ActionContext      {"committed": [ActionRev], "rev": u64, "actionId"?: text}
//   BlockGets          {"blockIds": [text], "context"?: ActionContext}
//   GetBlockResult     {"block"?: block, "state": {"latest"?: ActionRev, "pendings": [text]},
//                       "materializedRev"?: u64, "unavailable"?: UnavailableReason,
//                       "unconfirmedAheadRev"?: u64}
//   ActionBlocks       {"blockIds": [text], "actionId": text}
//   BlockActionStatus  {"blockIds": [text], "actionId": text, "statuses": [ActionStatus]}, one
//                      status per block id
//   PendRequest        {"actionId": text, "rev"?: u64, "transforms": transforms, "policy":
//                       PendPolicy, "transaction"?: any, "operationsHash"?: text,
//                       "superclusterNominees": [text], "priority"?: u32,
//                       "reads": [{"blockId": text, "revision": u64}]}
//   ActionPending      {"blockId": text, "actionId": text, "transform"?: transform}
//   ActionTransforms   {"actionId": text, "rev"?: u64, "transforms": transforms}
//   StaleFailure       {"success": false, "reason"?: text, "missing"?: [ActionTransforms],
//                       "pending"?: [ActionPending], "conflict"?: bool,
//                       "staleAt"?: {"blockId": text, "rev": u64}}
//   PendResult         {"success": true, "pending": [ActionPending], "blockIds": [text]}
//                      | StaleFailure
//   CommitRequest      {"blockIds": [text], "actionId": text, "rev": u64, "tailId": text,
//                       "headerId"?: text}
//   CommitResult       {"success": true, "coordinatorId"?: text} | StaleFailure

// "repo.get": reads blocks. Payload: {"gets": BlockGets}.
block::Value RepoGetToPayload(const transactor::BlockGets& gets) noexcept;
Result<transactor::BlockGets> RepoGetFromPayload(const block::Value& payload) noexcept;

// "repo.get.ok": the reply to repo.get. Payload: {"results": {block id: GetBlockResult, ...}}.
block::Value RepoGetOkToPayload(const transactor::GetBlockResults& results) noexcept;
Result<transactor::GetBlockResults> RepoGetOkFromPayload(const block::Value& payload) noexcept;

// "repo.status": asks what became of actions on their blocks (SPEC.md §6.7).
// Payload: {"actions": [ActionBlocks, ...]}.
block::Value RepoStatusToPayload(const std::vector<transactor::ActionBlocks>& actions) noexcept;
Result<std::vector<transactor::ActionBlocks>> RepoStatusFromPayload(
    const block::Value& payload) noexcept;

// "repo.status.ok": the reply to repo.status, one entry per action asked about.
// Payload: {"statuses": [BlockActionStatus, ...]}.
block::Value RepoStatusOkToPayload(
    const std::vector<transactor::BlockActionStatus>& statuses) noexcept;
Result<std::vector<transactor::BlockActionStatus>> RepoStatusOkFromPayload(
    const block::Value& payload) noexcept;

// "repo.pend": pends an action's transforms (SPEC.md §6.3). Payload: {"request": PendRequest}.
block::Value RepoPendToPayload(const transactor::PendRequest& request) noexcept;
Result<transactor::PendRequest> RepoPendFromPayload(const block::Value& payload) noexcept;

// "repo.pend.ok": the reply to repo.pend, a success or a stale failure.
// Payload: {"result": PendResult}.
block::Value RepoPendOkToPayload(const transactor::PendResult& result) noexcept;
Result<transactor::PendResult> RepoPendOkFromPayload(const block::Value& payload) noexcept;

// "repo.commit": commits a pended action (SPEC.md §6.4). Payload: {"request": CommitRequest}.
block::Value RepoCommitToPayload(const transactor::CommitRequest& request) noexcept;
Result<transactor::CommitRequest> RepoCommitFromPayload(const block::Value& payload) noexcept;

// "repo.commit.ok": the reply to repo.commit. Payload: {"result": CommitResult}.
block::Value RepoCommitOkToPayload(const transactor::CommitResult& result) noexcept;
Result<transactor::CommitResult> RepoCommitOkFromPayload(const block::Value& payload) noexcept;

// "repo.cancel": drops an action's pending records. Payload: {"actions": ActionBlocks}.
block::Value RepoCancelToPayload(const transactor::ActionBlocks& actions) noexcept;
Result<transactor::ActionBlocks> RepoCancelFromPayload(const block::Value& payload) noexcept;

// "repo.cancel.ok": the reply to repo.cancel. Payload: {}.
block::Value RepoCancelOkToPayload() noexcept;
// OK when `payload` is a map.
Status RepoCancelOkFromPayload(const block::Value& payload) noexcept;

// ---- Membership exchange ---------------------------------------------------------------------

// A member's part in the ring (docs/operations.md "Joining and leaving"): a joining member is
// fetching the blocks it will hold and holds none yet; an active one holds its ranges; a
// leaving one still holds them while their next owners fetch them; one that left holds none.
// kDown is the one role other members give: every other member saw it down for down_after_ms,
// and its ranges are being handed on to the rest (membership.h); the member returns through
// joining once it is replaced (left).
enum class MemberRole { kActive, kJoining, kLeaving, kLeft, kDown };
std::string_view MemberRoleName(MemberRole role) noexcept;

// A cluster member as peers tell each other of it.
// Wire form: {"peerId": text (non-empty), "publicKey": text, "url": text, "role": "active" |
// "joining" | "leaving" | "left" | "down", "epoch": u64, "down": [peer id], "handedOn": [peer
// id]}; role and epoch may be absent (active, 0), "down" and "handedOn" too (none). The member
// changes its own role, each time with a higher epoch, so that what is heard of it second-hand
// is taken when it is newer; only "down", and the "left" that follows it, are given by the
// others. "down" (the members the sender sees down) and "handedOn" (the down members whose
// blocks it holds are all held by their next owners) are the sender's own word, carried only in
// its own entry and never passed on.
struct PeerInfo {
  std::string peer_id;
  std::string public_key;  // Ed25519, in base32 as node.status shows it
  std::string url;         // where the peer listens, e.g. "tcp://10.0.0.7:7400"
  MemberRole role = MemberRole::kActive;
  uint64_t epoch = 0;
  std::vector<std::string> sees_down{};  // the sender's entry only
  std::vector<std::string> handed_on{};  // the sender's entry only
  bool operator==(const PeerInfo&) const = default;
};

// "cluster.members": a peer tells another of itself and the members it knows.
// Payload: {"from": PeerInfo, "members": [PeerInfo, ...]}.
struct ClusterMembers {
  PeerInfo from;  // the sender
  std::vector<PeerInfo> members;
  bool operator==(const ClusterMembers&) const = default;
};

// "members.ok": the reply to cluster.members: the members the responder knows.
// Payload: {"members": [PeerInfo, ...]}.
struct MembersOk {
  std::vector<PeerInfo> members;
  bool operator==(const MembersOk&) const = default;
};

block::Value ClusterMembersToPayload(const ClusterMembers& members) noexcept;
Result<ClusterMembers> ClusterMembersFromPayload(const block::Value& payload) noexcept;

block::Value MembersOkToPayload(const MembersOk& ok) noexcept;
Result<MembersOk> MembersOkFromPayload(const block::Value& payload) noexcept;

// ---- Cluster consensus (SPEC.md §7.4, docs/protocol.md "Consensus") --------------------------

// What a cluster agrees on: one repository operation on the blocks of one cluster.
enum class ConsensusOp : uint8_t { kPend = 0, kCommit = 1, kCancel = 2 };

// Wire form: {"op": "pend" | "commit" | "cancel", "pend"?: PendRequest, "commit"?:
// CommitRequest, "cancel"?: ActionBlocks, "expiration": u64 (ms since the epoch)}, with exactly
// the member its op names.
struct ConsensusMessage {
  ConsensusOp op = ConsensusOp::kPend;
  std::optional<transactor::PendRequest> pend;
  std::optional<transactor::CommitRequest> commit;
  std::optional<transactor::ActionBlocks> cancel;
  // A cancel of one failed pend round (its message hash): a member that applied another pend
  // round of the action since keeps the blocks that round pended.
  std::optional<std::string> pend_hash;
  uint64_t expiration_ms = 0;  // after this no member promises or votes to commit it
  // The peer that started the round: two coordinators' rounds of one operation are two records
  // (a cancel naming one must not undo the other), even when started in the same millisecond.
  std::optional<std::string> coordinator;
  // The blocks the operation touches (a pend's transformed blocks), sorted, distinct.
  std::vector<transactor::BlockId> BlockIds() const;
  bool operator==(const ConsensusMessage&) const = default;
};

enum class VoteType : uint8_t { kApprove = 0, kReject = 1, kConflict = 2 };

// One member's signed vote. Wire form: {"type": "approve" | "reject" | "conflict",
// "signature": text, "reason"?: text, "heads"?: {blockId: u64}}.
struct Vote {
  VoteType type = VoteType::kApprove;
  std::string signature;  // Ed25519 over VoteBytes (consensus/record.h), base32
  std::string reason;     // a rejection's reason, or the winning message hash of a conflict
  // A commit promise's latest committed rev of each block at the voter (0: none), so that a
  // replica that missed commits learns it is behind before it executes.
  std::map<transactor::BlockId, uint64_t> heads;
  bool operator==(const Vote&) const = default;
};

// A member of the record's cluster. Wire form: {"peerId": text, "publicKey": text}.
struct ClusterPeer {
  std::string peer_id;
  std::string public_key;  // Ed25519, base32
  bool operator==(const ClusterPeer&) const = default;
};

// Wire form: {"messageHash": text, "peers": [ClusterPeer], "membershipDigest": text,
// "message": ConsensusMessage, "promises": {peerId: Vote}, "commits": {peerId: Vote}}.
struct ClusterRecord {
  std::string message_hash;
  std::vector<ClusterPeer> peers;  // sorted by peer id
  std::string membership_digest;
  ConsensusMessage message;
  std::map<std::string, Vote> promises;
  std::map<std::string, Vote> commits;
  bool operator==(const ClusterRecord&) const = default;
};

// The canonical Value form of a message, which its hash is computed over.
block::Value ConsensusMessageToValue(const ConsensusMessage& message) noexcept;
// The heads of a vote as a Value ({blockId: rev}), which its signature covers.
block::Value HeadsToValue(const std::map<transactor::BlockId, uint64_t>& heads) noexcept;

// "cluster.update": a coordinator or member sends its copy of a record; the receiver merges it,
// votes where it is due and executes once decided. Payload: {"record": ClusterRecord}.
block::Value ClusterUpdateToPayload(const ClusterRecord& record) noexcept;
Result<ClusterRecord> ClusterUpdateFromPayload(const block::Value& payload) noexcept;

// "cluster.update.ok": the receiver's merged copy and what it did. Payload: {"record":
// ClusterRecord, "executed": bool, "pend"?: PendResult, "commit"?: CommitResult}: `executed`
// once it applied the operation to its repository; `pend` or `commit` its own repository's
// answer (a refusal says why it rejected).
struct ClusterUpdateOk {
  ClusterRecord record;
  bool executed = false;
  std::optional<transactor::PendResult> pend;
  std::optional<transactor::CommitResult> commit;
  bool operator==(const ClusterUpdateOk&) const = default;
};
block::Value ClusterUpdateOkToPayload(const ClusterUpdateOk& ok) noexcept;
Result<ClusterUpdateOk> ClusterUpdateOkFromPayload(const block::Value& payload) noexcept;

// "repo.history": a replica that missed commits asks for a block's committed actions after a
// rev. Payload: {"blockId": text, "afterRev": u64}.
struct HistoryRequest {
  transactor::BlockId block_id;
  uint64_t after_rev = 0;
  bool operator==(const HistoryRequest&) const = default;
};
block::Value RepoHistoryToPayload(const HistoryRequest& request) noexcept;
Result<HistoryRequest> RepoHistoryFromPayload(const block::Value& payload) noexcept;

// "repo.history.ok": {"actions": [ActionTransforms]}, ascending rev.
block::Value RepoHistoryOkToPayload(const std::vector<transactor::ActionTransforms>& actions) noexcept;
Result<std::vector<transactor::ActionTransforms>> RepoHistoryOkFromPayload(
    const block::Value& payload) noexcept;

// ---- Anti-entropy (SPEC.md §7.5, cluster/repair) -------------------------------------------
// Two replicas compare the blocks they both hold: the blocks whose cluster (by the responder's
// ring) holds both `peer` and the responder, split into `buckets` ranges of the ring by the
// first 8 bytes of the block's coordinate (bucket = coordinate · buckets / 2^64).

// The most buckets one digest may have.
inline constexpr uint32_t kMaxDigestBuckets = 4096;

// "repo.digest": the digests of the blocks shared with `peer`.
// Payload: {"peer": text, "buckets": u32 (1 to kMaxDigestBuckets)}.
struct DigestRequest {
  std::string peer;
  uint32_t buckets = 0;
  bool operator==(const DigestRequest&) const = default;
};
block::Value RepoDigestToPayload(const DigestRequest& request) noexcept;
Result<DigestRequest> RepoDigestFromPayload(const block::Value& payload) noexcept;

// "repo.digest.ok": {"digests": [text]}, one per bucket: the SHA-256, in base32, of the
// bucket's heads (repair/heads_digest.h), "" for a bucket without blocks.
block::Value RepoDigestOkToPayload(const std::vector<std::string>& digests) noexcept;
Result<std::vector<std::string>> RepoDigestOkFromPayload(const block::Value& payload) noexcept;

// "repo.heads": the latest revisions of the blocks shared with `peer` in buckets `of` (of
// `buckets`), and of `blockIds` wherever they are placed. With "next": the responder's blocks
// in those buckets that `peer` will hold once the ring's pending changes are made (a hand-off:
// the blocks a joining node fetches, or those a leaving node's ranges pass on), whoever holds
// them now.
// Payload: {"peer": text, "buckets": u32 (1 to kMaxDigestBuckets), "of": [u32], "blockIds":
// [text], "next": bool (absent: false)}; every bucket in `of` is below `buckets`.
struct HeadsRequest {
  std::string peer;
  uint32_t buckets = 1;
  std::vector<uint32_t> of;
  std::vector<transactor::BlockId> block_ids;
  bool next = false;
  bool operator==(const HeadsRequest&) const = default;
};
block::Value RepoHeadsToPayload(const HeadsRequest& request) noexcept;
Result<HeadsRequest> RepoHeadsFromPayload(const block::Value& payload) noexcept;

// "repo.heads.ok": {"heads": [{"blockId": text, "actionId": text, "rev": u64}]}, by block id;
// a block with no committed revision at the responder is not listed.
block::Value RepoHeadsOkToPayload(const std::vector<core::repository::BlockHead>& heads) noexcept;
Result<std::vector<core::repository::BlockHead>> RepoHeadsOkFromPayload(
    const block::Value& payload) noexcept;

// ---- Read repair (SPEC.md §7.5, cluster/repair) ---------------------------------------------

// The most blocks one "repo.repair" names.
inline constexpr size_t kMaxRepairBlocks = 256;

// "repo.repair": a reader found the receiver behind the block's other replicas; the receiver
// queues each block for a repair, which it corroborates itself (the hint alone moves nothing).
// Payload: {"blockIds": [text], 1 to kMaxRepairBlocks, each non-empty}.
block::Value RepoRepairToPayload(const std::vector<transactor::BlockId>& block_ids) noexcept;
Result<std::vector<transactor::BlockId>> RepoRepairFromPayload(const block::Value& payload) noexcept;

// "repo.repair.ok": {"queued": u64}, how many of them were queued (the others already were, or
// the queue was full).
block::Value RepoRepairOkToPayload(uint64_t queued) noexcept;
Result<uint64_t> RepoRepairOkFromPayload(const block::Value& payload) noexcept;

}  // namespace optimystic::cluster::wire
