// SPDX-License-Identifier: Apache-2.0
// ConsensusPeers: how consensus reaches the cluster of a block (SPEC.md §7.4): who the peers
// are, as this node places the block, with the keys their votes are checked against; a
// "cluster.update" to one of them (this node's own member answers directly); and one peer's
// committed history of a block, from which a lagging replica catches up. The node implements it
// over its membership and transport; tests over in-process members.
// Thread-safety: every method may be called from any thread at once.
// Errors: ClusterOf is Unavailable while the cluster forms; Update and HistoryOf fail as a
// WireCall does (Unavailable or TimedOut "cannot reach ...") or with the peer's refusal.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/transactor/transactor_types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::consensus {

class ConsensusPeers {
 public:
  virtual ~ConsensusPeers() = default;
  // The peers that hold `block_id`, nearest first, with their public keys.
  virtual Result<std::vector<wire::ClusterPeer>> ClusterOf(const transactor::BlockId& block_id) = 0;
  // Whether `peer_id` answered its last probe: an unreachable peer is not asked.
  virtual bool IsReachable(const std::string& peer_id) = 0;
  virtual Result<wire::ClusterUpdateOk> Update(const std::string& peer_id,
                                               const wire::ClusterRecord& record) = 0;
  virtual Result<std::vector<transactor::ActionTransforms>> HistoryOf(
      const std::string& peer_id, const transactor::BlockId& block_id, uint64_t after_rev) = 0;
};

}  // namespace optimystic::cluster::consensus
