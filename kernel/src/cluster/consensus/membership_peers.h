// SPDX-License-Identifier: Apache-2.0
// MembershipPeers: the node's ConsensusPeers. Clusters and reachability are its Membership's
// (public keys as the members announced them); this node's own member answers directly, every
// other peer over the transport at the URL the membership knows for it ("cluster.update",
// "repo.history", docs/protocol.md).
// Thread-safety: every method may be called from any thread at once, after SetLocal.
// Errors: as ConsensusPeers; Unavailable "no way to reach peer <id>" for a peer without a URL.
#pragma once

#include <optimystic/transport/transport.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/consensus/cluster_member.h"
#include "cluster/consensus/consensus_peers.h"
#include "cluster/membership/membership.h"
#include "cluster/wire/wire_call.h"

namespace optimystic::cluster::consensus {

class MembershipPeers final : public ConsensusPeers {
 public:
  // `transport` may be null for a node nobody can reach. OWNERSHIP: `membership` and
  // `transport` must outlive this.
  MembershipPeers(membership::Membership& membership, transport::Transport* transport,
                  wire::CallOptions call)
      : membership_(membership), transport_(transport), call_(std::move(call)) {}

  // This node's own member. REQUIRES: called once, before any other method.
  void SetLocal(ClusterMember& member) { local_ = &member; }

  Result<std::vector<wire::ClusterPeer>> ClusterOf(const transactor::BlockId& block_id) override;
  bool IsReachable(const std::string& peer_id) override;
  Result<wire::ClusterUpdateOk> Update(const std::string& peer_id,
                                       const wire::ClusterRecord& record) override;
  Result<std::vector<transactor::ActionTransforms>> HistoryOf(const std::string& peer_id,
                                                              const transactor::BlockId& block_id,
                                                              uint64_t after_rev) override;

  // One request to `peer_id` at the URL the membership knows for it, expecting `reply_type`; a
  // peer unreachable in transit is reported to the membership. Also what repair asks peers by.
  Result<block::Value> Call(const std::string& peer_id, wire::MessageType type,
                            block::Value payload, wire::MessageType reply_type);
  membership::Membership& membership() noexcept { return membership_; }

 private:

  membership::Membership& membership_;
  transport::Transport* const transport_;
  const wire::CallOptions call_;
  ClusterMember* local_ = nullptr;
  std::atomic<uint64_t> next_request_id_{1};
};

}  // namespace optimystic::cluster::consensus
