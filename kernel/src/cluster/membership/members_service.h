// SPDX-License-Identifier: Apache-2.0
// MembersService: answers "cluster.members" (docs/protocol.md) from the node's Membership:
// merges the asker's list and replies with every member this node knows.
// Thread-safety: as Membership's. Errors: a payload that does not read is InvalidArgument.
#pragma once

#include "cluster/membership/membership.h"
#include "cluster/wire/message_dispatcher.h"

namespace optimystic::cluster::membership {

class MembersService final : public wire::MessageHandler {
 public:
  // OWNERSHIP: `membership` must outlive the service.
  explicit MembersService(Membership& membership) : membership_(membership) {}
  Result<wire::Reply> Handle(const wire::Envelope& request) noexcept override;

 private:
  Membership& membership_;
};

}  // namespace optimystic::cluster::membership
