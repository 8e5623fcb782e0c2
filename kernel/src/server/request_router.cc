// SPDX-License-Identifier: Apache-2.0
#include "server/request_router.h"

#include <utility>

namespace optimystic::server {

Result<std::unique_ptr<RequestRouter>> RequestRouter::Create(std::string peer_id,
                                                             std::string node_version,
                                                             const time::Clock& clock) noexcept {
  std::unique_ptr<RequestRouter> router(new RequestRouter(peer_id, std::move(node_version)));
  OPTIMYSTIC_ASSIGN_OR_RETURN(router->dispatcher_,
                              cluster::wire::MessageDispatcher::Create(std::move(peer_id), clock));
  OPTIMYSTIC_RETURN_IF_ERROR(
      router->dispatcher_->Register(cluster::wire::MessageType::kPing, router->ping_));
  return router;
}

RequestRouter::RequestRouter(std::string peer_id, std::string node_version)
    : ping_(std::move(peer_id), std::move(node_version)) {}

void RequestRouter::OnRequest(std::string_view request, transport::Responder& responder) noexcept {
  responder.Reply(Route(request));
}

std::string RequestRouter::Route(std::string_view request) const noexcept {
  return dispatcher_->Dispatch(request);
}

}  // namespace optimystic::server
