// SPDX-License-Identifier: Apache-2.0
// PeerNetwork: what the NetworkTransactor needs to know of the cluster (SPEC.md §7.1
// IKeyNetwork + getRepo): the peers that hold a block in ring order (its cluster, the first of
// them reachable being its coordinator, DESIGN.md §7), whether a peer is thought reachable,
// and the repository operations of each peer. The node implements it over its membership
// (MembershipNetwork); tests implement it over in-process repositories and a simulated network.
// Thread-safety: every method may be called from any thread at once.
// Errors: ClusterFor is Unavailable while the node cannot place blocks (its cluster is still
// forming).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>

#include <string>
#include <vector>

#include "cluster/network/peer_repo.h"

namespace optimystic::cluster::network {

class PeerNetwork {
 public:
  virtual ~PeerNetwork() = default;
  // The peer ids that hold `block_id`, nearest first; never empty on success.
  virtual Result<std::vector<std::string>> ClusterFor(const block::BlockId& block_id) = 0;
  // Whether `peer_id` answered its last probe (this node itself always is).
  virtual bool IsReachable(const std::string& peer_id) = 0;
  // The repository operations of `peer_id`, a member ClusterFor returned.
  // OWNERSHIP: the repo lives as long as the network.
  virtual PeerRepo& RepoOf(const std::string& peer_id) = 0;
  // A request to `peer_id` failed in transit: a hint for failure detection.
  virtual void ReportUnreachable(const std::string& peer_id) = 0;
};

}  // namespace optimystic::cluster::network
