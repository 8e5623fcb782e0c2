// SPDX-License-Identifier: Apache-2.0
#include "cluster/repair/repair_peers.h"

namespace optimystic::cluster::repair {

std::vector<std::string> MembershipRepairPeers::Peers() {
  std::vector<std::string> out;
  for (const membership::Member& member : peers_.membership().View()->members) {
    if (!member.self && member.up && member.role != wire::MemberRole::kLeft) {
      out.push_back(member.peer_id);
    }
  }
  return out;
}

Result<std::vector<std::string>> MembershipRepairPeers::ClusterFor(const block::BlockId& block_id) {
  return peers_.membership().ClusterFor(block_id);
}

Result<std::vector<std::string>> MembershipRepairPeers::NextClusterFor(
    const block::BlockId& block_id) {
  return peers_.membership().NextClusterFor(block_id);
}

Result<std::vector<std::string>> MembershipRepairPeers::Digest(const std::string& peer,
                                                               const wire::DigestRequest& request) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::Value reply, peers_.Call(peer, wire::MessageType::kRepoDigest,
                                      wire::RepoDigestToPayload(request),
                                      wire::MessageType::kRepoDigestOk));
  Result<std::vector<std::string>> digests = wire::RepoDigestOkFromPayload(reply);
  if (!digests) {
    return digests.error().WithContext("repo.digest.ok from " + peer);
  }
  if (digests->size() != request.buckets) {
    return Status::InvalidArgument("repo.digest.ok from " + peer + ": " +
                                   std::to_string(digests->size()) + " digests for " +
                                   std::to_string(request.buckets) + " buckets");
  }
  return digests;
}

Result<std::vector<core::repository::BlockHead>> MembershipRepairPeers::Heads(
    const std::string& peer, const wire::HeadsRequest& request) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::Value reply, peers_.Call(peer, wire::MessageType::kRepoHeads,
                                      wire::RepoHeadsToPayload(request),
                                      wire::MessageType::kRepoHeadsOk));
  Result<std::vector<core::repository::BlockHead>> heads = wire::RepoHeadsOkFromPayload(reply);
  if (!heads) {
    return heads.error().WithContext("repo.heads.ok from " + peer);
  }
  return heads;
}

Result<std::vector<transactor::ActionTransforms>> MembershipRepairPeers::HistoryOf(
    const std::string& peer, const block::BlockId& block_id, uint64_t after_rev) {
  return peers_.HistoryOf(peer, block_id, after_rev);
}

Result<uint64_t> MembershipRepairPeers::RequestRepair(const std::string& peer,
                                                     const std::vector<block::BlockId>& block_ids) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::Value reply, peers_.Call(peer, wire::MessageType::kRepoRepair,
                                      wire::RepoRepairToPayload(block_ids),
                                      wire::MessageType::kRepoRepairOk));
  Result<uint64_t> queued = wire::RepoRepairOkFromPayload(reply);
  if (!queued) {
    return queued.error().WithContext("repo.repair.ok from " + peer);
  }
  return queued;
}

}  // namespace optimystic::cluster::repair
