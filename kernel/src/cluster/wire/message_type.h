// SPDX-License-Identifier: Apache-2.0
// MessageType: the kinds of wire message this node knows. On the wire a type is its name, a
// short text string (wire_format.h), so that a peer of another version can name a type it does
// not know in its error reply; in memory it is this enum, so that code switches on it.
// Adding a message: add an enumerator here and its name in message_type.cc, describe its payload
// in messages.h (client messages) or repo_messages.h (peer messages) and docs/protocol.md.
// Thread-safety: pure functions. Errors: ParseMessageType returns nullopt for an unknown name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace optimystic::cluster::wire {

enum class MessageType : uint8_t {
  kError = 0,  // "error": the reply to a request that failed; payload {code, message}
  kPing = 1,   // "ping": are you there; payload {}
  kPong = 2,   // "pong": the reply to ping; payload {peerId, protocolVersion, nodeVersion}
  // Client messages (DESIGN.md §8); each request has one success reply, or "error".
  kCollectionAct = 3,     // "collection.act": {collection, type, create, actions}
  kActOk = 4,             // "act.ok": {revision}
  kCollectionQuery = 5,   // "collection.query": {collection, type, query, args}
  kQueryOk = 6,           // "query.ok": {result}
  kCollectionVerify = 7,  // "collection.verify": {collection}
  kVerifyOk = 8,          // "verify.ok": {report}
  kNodeStatus = 9,        // "node.status": {}
  kStatusOk = 10,         // "status.ok": {peerId, nodeVersion, protocolVersion, database}
  kTransaction = 11,      // "transaction": {statements}
  kTransactionOk = 12,    // "transaction.ok": {transactionId, success, committed, failed, error?}
  // Peer messages (DESIGN.md §6, §7): the repo service, one peer's repository operations asked by
  // another (SPEC.md §6.1), and membership exchange; payloads in repo_messages.h.
  kRepoGet = 13,         // "repo.get": {gets}
  kRepoGetOk = 14,       // "repo.get.ok": {results}
  kRepoStatus = 15,      // "repo.status": {actions}
  kRepoStatusOk = 16,    // "repo.status.ok": {statuses}
  kRepoPend = 17,        // "repo.pend": {request}
  kRepoPendOk = 18,      // "repo.pend.ok": {result}
  kRepoCommit = 19,      // "repo.commit": {request}
  kRepoCommitOk = 20,    // "repo.commit.ok": {result}
  kRepoCancel = 21,      // "repo.cancel": {actions}
  kRepoCancelOk = 22,    // "repo.cancel.ok": {}
  kClusterMembers = 23,  // "cluster.members": {from, members}
  kMembersOk = 24,       // "members.ok": {members}
  // Cluster consensus (SPEC.md §7.4): records of signed votes, and a lagging replica's catch-up.
  kClusterUpdate = 25,    // "cluster.update": {record}
  kClusterUpdateOk = 26,  // "cluster.update.ok": {record, executed, pend?, commit?}
  kRepoHistory = 27,      // "repo.history": {blockId, afterRev}
  kRepoHistoryOk = 28,    // "repo.history.ok": {actions}
  // Anti-entropy between replicas (SPEC.md §7.5): digests of the blocks two replicas share.
  kRepoDigest = 29,    // "repo.digest": {peer, buckets}
  kRepoDigestOk = 30,  // "repo.digest.ok": {digests}
  kRepoHeads = 31,     // "repo.heads": {peer, buckets, of, blockIds}
  kRepoHeadsOk = 32,   // "repo.heads.ok": {heads}
  // Read repair (SPEC.md §7.5): a reader asks a replica it found behind to repair blocks.
  kRepoRepair = 33,    // "repo.repair": {blockIds}
  kRepoRepairOk = 34,  // "repo.repair.ok": {queued}
  // Fault injection (node.fault_injection, docs/faults.md): the peers this node is cut off from.
  kDebugFaults = 35,    // "debug.faults": {cut}
  kDebugFaultsOk = 36,  // "debug.faults.ok": {cut}
  // Membership change (docs/operations.md "Joining and leaving"): a client asks the node to
  // hand its ranges on and leave the cluster; it replies at once and stops once it has left.
  kClusterLeave = 37,    // "cluster.leave": {}
  kClusterLeaveOk = 38,  // "cluster.leave.ok": {role}
};

// How many types there are; enumerators run from 0 to kMessageTypeCount - 1.
inline constexpr size_t kMessageTypeCount = 39;

// The wire name of `type`, e.g. "ping".
std::string_view MessageTypeName(MessageType type) noexcept;

// The type named `name`; nullopt when this node knows no such type.
std::optional<MessageType> ParseMessageType(std::string_view name) noexcept;

}  // namespace optimystic::cluster::wire
