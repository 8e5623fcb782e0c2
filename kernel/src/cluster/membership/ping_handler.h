// SPDX-License-Identifier: Apache-2.0
// PingHandler: answers "ping" with "pong": this node's peer id, the protocol version it speaks
// and its software version. It is how peers and clients find out that a node is there and what
// it runs, and later the failure detector's probe (DESIGN.md §7).
// Thread-safety: immutable after construction; Handle may run on many threads at once.
// Errors: a ping whose payload is not a map is InvalidArgument (the envelope decoder already
// refuses those, so in practice none).
#pragma once

#include <string>

#include "cluster/wire/message_dispatcher.h"

namespace optimystic::cluster::membership {

class PingHandler final : public wire::MessageHandler {
 public:
  PingHandler(std::string peer_id, std::string node_version);

  Result<wire::Reply> Handle(const wire::Envelope& request) noexcept override;

 private:
  std::string peer_id_;
  std::string node_version_;
};

}  // namespace optimystic::cluster::membership
