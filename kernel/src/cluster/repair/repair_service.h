// SPDX-License-Identifier: Apache-2.0
// RepairService: the server side of "repo.digest", "repo.heads" and "repo.repair"
// (docs/protocol.md "Anti-entropy", "Read repair"): this node's digests and heads of the blocks
// it shares with the asking peer, and the queueing of blocks a reader found behind here. Only
// peers send them, and a peer asks for itself: a request without a sender, or whose `peer` is not
// its sender, is refused.
// Thread-safety: immutable once registered; requests may be served from any threads at once.
// Errors: InvalidArgument for a payload that does not read (naming the member) or a `peer` that
// is not the sender; Unavailable while the cluster forms; storage errors as they are.
#pragma once

#include "cluster/repair/anti_entropy.h"
#include "cluster/wire/message_dispatcher.h"

namespace optimystic::cluster::repair {

class RepairService final : public wire::MessageHandler {
 public:
  // OWNERSHIP: `anti_entropy` must outlive the service.
  explicit RepairService(AntiEntropy& anti_entropy) : anti_entropy_(anti_entropy) {}

  Status RegisterWith(wire::MessageDispatcher& dispatcher) noexcept;
  Result<wire::Reply> Handle(const wire::Envelope& request) noexcept override;

 private:
  AntiEntropy& anti_entropy_;
};

}  // namespace optimystic::cluster::repair
