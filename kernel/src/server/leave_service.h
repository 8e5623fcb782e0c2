// SPDX-License-Identifier: Apache-2.0
// LeaveService: serves "cluster.leave" (docs/protocol.md), what `optimystic cluster leave` sends.
// It starts the node's leave (Server::Leave, on the server's own thread) and replies at once with
// the node's role then, {"role": "leaving"}; the node stops once it has left.
// Thread-safety: Handle may be called from any thread at once.
// Errors: whatever `start` refuses with (a node without a cluster, one still joining).
#pragma once

#include <functional>
#include <string>

#include "cluster/wire/message_dispatcher.h"

namespace optimystic::server {

class LeaveService final : public cluster::wire::MessageHandler {
 public:
  // `start` begins the leave (again: nothing more) and returns the node's role.
  explicit LeaveService(std::function<Result<std::string>()> start) : start_(std::move(start)) {}

  Result<cluster::wire::Reply> Handle(const cluster::wire::Envelope& request) noexcept override;

 private:
  const std::function<Result<std::string>()> start_;
};

}  // namespace optimystic::server
