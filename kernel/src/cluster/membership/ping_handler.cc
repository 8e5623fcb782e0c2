// SPDX-License-Identifier: Apache-2.0
#include "cluster/membership/ping_handler.h"

#include <utility>

#include "cluster/wire/messages.h"

namespace optimystic::cluster::membership {

PingHandler::PingHandler(std::string peer_id, std::string node_version)
    : peer_id_(std::move(peer_id)), node_version_(std::move(node_version)) {}

Result<wire::Reply> PingHandler::Handle(const wire::Envelope& request) noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(wire::PingFromPayload(request.payload).status());
  wire::Pong pong{peer_id_, wire::format::kProtocolVersion, node_version_};
  return wire::Reply{wire::MessageType::kPong, wire::PongToPayload(pong)};
}

}  // namespace optimystic::cluster::membership
