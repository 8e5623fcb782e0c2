// SPDX-License-Identifier: Apache-2.0
#include "server/leave_service.h"

#include "cluster/wire/payload_members.h"

namespace optimystic::server {

Result<cluster::wire::Reply> LeaveService::Handle(
    const cluster::wire::Envelope& request) noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(cluster::wire::EmptyMap(request.payload, "cluster.leave"));
  Result<std::string> role = start_();
  if (!role) {
    return role.error().WithContext("cluster.leave");
  }
  return cluster::wire::Reply{cluster::wire::MessageType::kClusterLeaveOk,
                              block::Value::object({{"role", *role}})};
}

}  // namespace optimystic::server
