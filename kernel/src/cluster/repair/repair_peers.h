// SPDX-License-Identifier: Apache-2.0
// RepairPeers: how anti-entropy reaches the other replicas (SPEC.md §7.5): who they are, where a
// block is placed, and three questions to one peer: its digests of the blocks it shares with this
// node ("repo.digest"), its heads of some blocks ("repo.heads"), and its committed history of a
// block ("repo.history"); and one request, that a peer found behind repair some blocks
// ("repo.repair", read repair). The node implements it over its membership and transport
// (MembershipRepairPeers); tests over in-process nodes.
// Thread-safety: every method may be called from any thread at once.
// Errors: ClusterFor is Unavailable while the cluster forms; the questions fail as a WireCall does
// (Unavailable or TimedOut "cannot reach ...") or with the peer's refusal.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/transactor/transactor_types.h>

#include <string>
#include <vector>

#include "cluster/consensus/membership_peers.h"
#include "cluster/wire/repo_messages.h"
#include "core/repository/repository.h"

namespace optimystic::cluster::repair {

class RepairPeers {
 public:
  virtual ~RepairPeers() = default;
  // The other members thought reachable, by peer id.
  virtual std::vector<std::string> Peers() = 0;
  // The peers that hold `block_id`, nearest first.
  virtual Result<std::vector<std::string>> ClusterFor(const block::BlockId& block_id) = 0;
  // The peers that will hold `block_id` once the joins and leaves under way are done; the same
  // as ClusterFor when none is.
  virtual Result<std::vector<std::string>> NextClusterFor(const block::BlockId& block_id) {
    return ClusterFor(block_id);
  }
  virtual Result<std::vector<std::string>> Digest(const std::string& peer,
                                                  const wire::DigestRequest& request) = 0;
  virtual Result<std::vector<core::repository::BlockHead>> Heads(
      const std::string& peer, const wire::HeadsRequest& request) = 0;
  virtual Result<std::vector<transactor::ActionTransforms>> HistoryOf(
      const std::string& peer, const block::BlockId& block_id, uint64_t after_rev) = 0;
  // Asks `peer` to repair `block_ids` (at most wire::kMaxRepairBlocks); how many it queued.
  virtual Result<uint64_t> RequestRepair(const std::string& peer,
                                         const std::vector<block::BlockId>& block_ids) = 0;
};

// The node's RepairPeers, over the consensus peers' membership and transport.
class MembershipRepairPeers final : public RepairPeers {
 public:
  // OWNERSHIP: `peers` must outlive this.
  explicit MembershipRepairPeers(consensus::MembershipPeers& peers) : peers_(peers) {}

  std::vector<std::string> Peers() override;
  Result<std::vector<std::string>> ClusterFor(const block::BlockId& block_id) override;
  Result<std::vector<std::string>> NextClusterFor(const block::BlockId& block_id) override;
  Result<std::vector<std::string>> Digest(const std::string& peer,
                                          const wire::DigestRequest& request) override;
  Result<std::vector<core::repository::BlockHead>> Heads(
      const std::string& peer, const wire::HeadsRequest& request) override;
  Result<std::vector<transactor::ActionTransforms>> HistoryOf(
      const std::string& peer, const block::BlockId& block_id, uint64_t after_rev) override;
  Result<uint64_t> RequestRepair(const std::string& peer,
                                 const std::vector<block::BlockId>& block_ids) override;

 private:
  consensus::MembershipPeers& peers_;
};

}  // namespace optimystic::cluster::repair
