// SPDX-License-Identifier: Apache-2.0
// MembershipNetwork: the node's PeerNetwork. Placement and reachability are its Membership's;
// this node's own blocks are served by its LocalPeerRepo, every other peer's over the
// transport by a RemotePeerRepo at the URL the membership knows for it.
// Thread-safety: every method may be called from any thread at once.
// Errors: as PeerNetwork.
#pragma once

#include <optimystic/transport/transport.h>

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/membership/membership.h"
#include "cluster/network/peer_network.h"
#include "cluster/network/peer_repo.h"

namespace optimystic::cluster::network {

class MembershipNetwork final : public PeerNetwork {
 public:
  // `transport` may be null for a node nobody can reach (then it has no other members).
  // `call` holds the peer request timeout and this node's peer id as sender.
  // OWNERSHIP: `membership`, `local` and `transport` must outlive this.
  MembershipNetwork(membership::Membership& membership, PeerRepo& local,
                    transport::Transport* transport, wire::CallOptions call)
      : membership_(membership), local_(local), transport_(transport), call_(std::move(call)) {}

  Result<std::vector<std::string>> ClusterFor(const block::BlockId& block_id) override;
  bool IsReachable(const std::string& peer_id) override;
  PeerRepo& RepoOf(const std::string& peer_id) override;
  void ReportUnreachable(const std::string& peer_id) override;

 private:
  // Answers for a peer this node cannot reach at all.
  class Unreachable;

  membership::Membership& membership_;
  PeerRepo& local_;
  transport::Transport* const transport_;
  const wire::CallOptions call_;
  std::mutex mu_;
  std::map<std::string, RemotePeerRepo*> current_;  // by peer id
  std::map<std::string, PeerRepo*> unreachable_;    // by peer id
  std::list<std::unique_ptr<PeerRepo>> repos_;      // every repo handed out, kept to the end
};

}  // namespace optimystic::cluster::network
