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

#include <cstddef>
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

// A cluster member as peers tell each other of it.
// Wire form: {"peerId": text (non-empty), "publicKey": text, "url": text}.
struct PeerInfo {
  std::string peer_id;
  std::string public_key;  // Ed25519, in base32 as node.status shows it
  std::string url;         // where the peer listens, e.g. "tcp://10.0.0.7:7400"
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

}  // namespace optimystic::cluster::wire
