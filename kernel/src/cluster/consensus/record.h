// SPDX-License-Identifier: Apache-2.0
// The arithmetic of cluster consensus (SPEC.md §7.4): the hashes that bind a record to its
// message and its cluster, the bytes a vote signs, and the quorums.
// - membership digest = base32(SHA-256(canonical encoding of the sorted peer id list))
// - message hash = base32(SHA-256(canonical encoding of the message || membership digest))
// - a vote signs UTF-8(messageHash ":" phase ":" type [":" reason] [":" heads hash]) with the
//   voter's Ed25519 key, phase "promise" or "commit", heads hash the ContentHash of the heads.
//   Binding the phase and the message hash (which covers the digest) makes a vote useless for any
//   other record, phase or cluster.
// - promise quorum: the configured count clamped to (n/2, n], default ceil(0.75·n); commit
//   quorum: a simple majority, floor(n/2) + 1.
// Thread-safety: pure functions.
#pragma once

#include <optimystic/base/result.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/identity/node_key.h"
#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::consensus {

enum class Phase : uint8_t { kPromise = 0, kCommit = 1 };

std::string MembershipDigest(const std::vector<wire::ClusterPeer>& peers);
std::string MessageHash(const wire::ConsensusMessage& message, std::string_view digest);

// A record of `message` for `peers` (sorted here), with its digest and hash and no votes.
wire::ClusterRecord NewRecord(wire::ConsensusMessage message, std::vector<wire::ClusterPeer> peers);

// OK when the record's digest and hash are those of its peers and message; InvalidArgument
// naming which does not match otherwise.
Status CheckRecordHashes(const wire::ClusterRecord& record);

std::string VoteBytes(std::string_view message_hash, Phase phase, const wire::Vote& vote);
// `vote` (type, reason, heads) signed by `key` for `phase` of the message.
Result<wire::Vote> SignVote(const identity::NodeKey& key, std::string_view message_hash,
                            Phase phase, wire::Vote vote);
// Whether `vote` carries `public_key`'s (base32) signature for `phase` of the message.
bool VerifyVote(std::string_view public_key, std::string_view message_hash, Phase phase,
                const wire::Vote& vote);

// Why a vote in a record does not count; empty when it does.
std::string RefuseVote(const wire::ClusterRecord& record, const std::string& peer_id, Phase phase,
                       const wire::Vote& vote);

size_t PromiseQuorum(size_t n, uint32_t configured);
size_t CommitQuorum(size_t n);

struct Tally {
  size_t approvals = 0;
  size_t rejects = 0;
  size_t conflicts = 0;
};
Tally Count(const std::map<std::string, wire::Vote>& votes);

std::string_view PhaseName(Phase phase) noexcept;
std::string_view OpName(wire::ConsensusOp op) noexcept;

}  // namespace optimystic::cluster::consensus
