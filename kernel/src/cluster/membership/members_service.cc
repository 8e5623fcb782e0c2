// SPDX-License-Identifier: Apache-2.0
#include "cluster/membership/members_service.h"

#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::membership {

Result<wire::Reply> MembersService::Handle(const wire::Envelope& request) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::ClusterMembers members,
                              wire::ClusterMembersFromPayload(request.payload));
  return wire::Reply{wire::MessageType::kMembersOk,
                     wire::MembersOkToPayload(membership_.OnMembers(members))};
}

}  // namespace optimystic::cluster::membership
