// SPDX-License-Identifier: Apache-2.0
// ConsensusService: the server side of "cluster.update" (a record for this node's member) and
// "repo.history" (this node's committed history of a block), docs/protocol.md "Consensus".
// Only peers send them: a request without a sender peer id is refused.
// Thread-safety: immutable once registered; requests may be served from any threads at once.
// Errors: a payload that does not read is InvalidArgument naming the member; the member's
// refusals (a record whose hashes do not match, one that does not name this node) come back as
// they are.
#pragma once

#include "cluster/consensus/cluster_member.h"
#include "cluster/wire/message_dispatcher.h"

namespace optimystic::cluster::consensus {

class ConsensusService final : public wire::MessageHandler {
 public:
  // OWNERSHIP: `member` must outlive the service.
  explicit ConsensusService(ClusterMember& member) : member_(member) {}

  Status RegisterWith(wire::MessageDispatcher& dispatcher) noexcept;
  Result<wire::Reply> Handle(const wire::Envelope& request) noexcept override;

 private:
  ClusterMember& member_;
};

}  // namespace optimystic::cluster::consensus
