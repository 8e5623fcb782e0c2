// SPDX-License-Identifier: Apache-2.0
// RepoService: serves this node's repository to its peers, the server side of the repo.*
// messages (docs/protocol.md "Peer messages"): get, getStatus, pend, commit and cancel from
// a LocalPeerRepo. Only peers ask: a request without a sender peer id (a client) is refused.
// A write (pend, commit, cancel) naming a block whose cluster does not hold this node is
// refused "not responsible for block(s): ..." (Unavailable, so that the asker tries the next
// peer), as is any write while the cluster is forming; reads are served anyway, since a
// reader merges answers by rank (SPEC.md §7.2 proximity check).
// Thread-safety: immutable once registered; requests may be served from any threads at once.
// Errors: a payload that does not read is InvalidArgument naming the member; repository
// errors come back as they are.
#pragma once

#include <optimystic/base/result.h>

#include <functional>
#include <string>
#include <vector>

#include "cluster/network/peer_repo.h"
#include "cluster/wire/message_dispatcher.h"

namespace optimystic::cluster::network {

// The peers that hold a block, as PeerNetwork::ClusterFor.
using ClusterLookup =
    std::function<Result<std::vector<std::string>>(const block::BlockId& block_id)>;

class RepoService final : public wire::MessageHandler {
 public:
  // OWNERSHIP: `local` must outlive the service.
  RepoService(std::string self_peer_id, PeerRepo& local, ClusterLookup cluster_for)
      : self_(std::move(self_peer_id)), local_(local), cluster_for_(std::move(cluster_for)) {}

  // Registers this for every repo.* request type.
  Status RegisterWith(wire::MessageDispatcher& dispatcher) noexcept;

  Result<wire::Reply> Handle(const wire::Envelope& request) noexcept override;

 private:
  // OK when this node is in the cluster of every block in `block_ids`.
  Status CheckResponsible(const std::vector<block::BlockId>& block_ids) const;

  const std::string self_;
  PeerRepo& local_;
  const ClusterLookup cluster_for_;
};

}  // namespace optimystic::cluster::network
