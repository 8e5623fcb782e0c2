// SPDX-License-Identifier: Apache-2.0
#include "cluster/consensus/record.h"

#include <optimystic/base/base32.h>
#include <optimystic/block/codec.h>

#include <algorithm>
#include <utility>

namespace optimystic::cluster::consensus {

namespace {

std::string HashText(std::string_view bytes) {
  const std::array<uint8_t, 32> digest = block::Sha256(bytes);
  return base::Base32Encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

std::string_view VoteTypeName(wire::VoteType type) noexcept {
  switch (type) {
    case wire::VoteType::kApprove:
      return "approve";
    case wire::VoteType::kReject:
      return "reject";
    case wire::VoteType::kConflict:
      return "conflict";
  }
  return "invalid";
}

}  // namespace

std::string_view PhaseName(Phase phase) noexcept {
  return phase == Phase::kPromise ? "promise" : "commit";
}

std::string_view OpName(wire::ConsensusOp op) noexcept {
  switch (op) {
    case wire::ConsensusOp::kPend:
      return "pend";
    case wire::ConsensusOp::kCommit:
      return "commit";
    case wire::ConsensusOp::kCancel:
      return "cancel";
  }
  return "invalid";
}

std::string MembershipDigest(const std::vector<wire::ClusterPeer>& peers) {
  std::vector<std::string> ids;
  ids.reserve(peers.size());
  for (const wire::ClusterPeer& peer : peers) {
    ids.push_back(peer.peer_id);
  }
  std::sort(ids.begin(), ids.end());
  block::Value list = block::Value::array();
  for (std::string& id : ids) {
    list.push_back(std::move(id));
  }
  return HashText(block::EncodeValue(list));
}

std::string MessageHash(const wire::ConsensusMessage& message, std::string_view digest) {
  std::string bytes = block::EncodeValue(wire::ConsensusMessageToValue(message));
  bytes.append(digest);
  return HashText(bytes);
}

wire::ClusterRecord NewRecord(wire::ConsensusMessage message,
                              std::vector<wire::ClusterPeer> peers) {
  std::sort(peers.begin(), peers.end(),
            [](const wire::ClusterPeer& a, const wire::ClusterPeer& b) {
              return a.peer_id < b.peer_id;
            });
  wire::ClusterRecord record;
  record.membership_digest = MembershipDigest(peers);
  record.message_hash = MessageHash(message, record.membership_digest);
  record.peers = std::move(peers);
  record.message = std::move(message);
  return record;
}

Status CheckRecordHashes(const wire::ClusterRecord& record) {
  if (MembershipDigest(record.peers) != record.membership_digest) {
    return Status::InvalidArgument("cluster record " + record.message_hash +
                                   ": membershipDigest does not match its peers");
  }
  for (size_t i = 1; i < record.peers.size(); ++i) {
    if (record.peers[i - 1].peer_id >= record.peers[i].peer_id) {
      return Status::InvalidArgument("cluster record " + record.message_hash +
                                     ": peers are not sorted and distinct");
    }
  }
  if (MessageHash(record.message, record.membership_digest) != record.message_hash) {
    return Status::InvalidArgument("cluster record " + record.message_hash +
                                   ": messageHash does not match its message");
  }
  return Status::Ok();
}

std::string VoteBytes(std::string_view message_hash, Phase phase, const wire::Vote& vote) {
  std::string bytes(message_hash);
  bytes += ':';
  bytes += PhaseName(phase);
  bytes += ':';
  bytes += VoteTypeName(vote.type);
  if (!vote.reason.empty()) {
    bytes += ':';
    bytes += vote.reason;
  }
  if (!vote.heads.empty()) {
    bytes += ':';
    bytes += block::ContentHash(wire::HeadsToValue(vote.heads));
  }
  return bytes;
}

Result<wire::Vote> SignVote(const identity::NodeKey& key, std::string_view message_hash,
                            Phase phase, wire::Vote vote) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string signature,
                              key.Sign(VoteBytes(message_hash, phase, vote)));
  vote.signature = base::Base32Encode(signature);
  return vote;
}

bool VerifyVote(std::string_view public_key, std::string_view message_hash, Phase phase,
                const wire::Vote& vote) {
  Result<std::string> key = base::Base32Decode(public_key);
  Result<std::string> signature = base::Base32Decode(vote.signature);
  if (!key || !signature) {
    return false;
  }
  return identity::NodeKey::Verify(*key, VoteBytes(message_hash, phase, vote), *signature);
}

std::string RefuseVote(const wire::ClusterRecord& record, const std::string& peer_id, Phase phase,
                       const wire::Vote& vote) {
  auto it = std::find_if(record.peers.begin(), record.peers.end(),
                         [&](const wire::ClusterPeer& p) { return p.peer_id == peer_id; });
  if (it == record.peers.end()) {
    return "non-member";
  }
  if (!VerifyVote(it->public_key, record.message_hash, phase, vote)) {
    return "bad-signature";
  }
  return "";
}

size_t PromiseQuorum(size_t n, uint32_t configured) {
  const size_t majority = n / 2 + 1;
  if (configured == 0) {
    return std::max<size_t>(majority, (3 * n + 3) / 4);  // ceil(0.75·n)
  }
  return std::clamp<size_t>(configured, majority, std::max<size_t>(n, 1));
}

size_t CommitQuorum(size_t n) { return n / 2 + 1; }

Tally Count(const std::map<std::string, wire::Vote>& votes) {
  Tally t;
  for (const auto& [peer, vote] : votes) {
    switch (vote.type) {
      case wire::VoteType::kApprove:
        ++t.approvals;
        break;
      case wire::VoteType::kReject:
        ++t.rejects;
        break;
      case wire::VoteType::kConflict:
        ++t.conflicts;
        break;
    }
  }
  return t;
}

}  // namespace optimystic::cluster::consensus
