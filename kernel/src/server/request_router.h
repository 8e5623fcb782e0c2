// SPDX-License-Identifier: Apache-2.0
// RequestRouter: the handler the node gives its transport. Each request's bytes go through the
// cluster's MessageDispatcher, which decodes the envelope and calls the handler for its type; the
// reply is always an encoded envelope: "pong" for "ping", the client messages' replies from the
// ClientService over the node's Database (runtime/services), and an "error" envelope
// (docs/protocol.md) for anything else, including bytes that are not a message at all. A router
// made without a Database answers every client message with Unavailable "no database". The
// router never fails a request at the transport level, so a client always gets an answer it can
// decode.
// Thread-safety: immutable once created; OnRequest runs on the transport's threads at once.
// Errors: Create returns InvalidArgument for a peer id that cannot be sent.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/time/clock.h>
#include <optimystic/transport/transport.h>

#include <memory>
#include <string>
#include <string_view>

#include "cluster/membership/ping_handler.h"
#include "cluster/wire/message_dispatcher.h"
#include "runtime/services/client_service.h"
#include "runtime/services/database.h"

namespace optimystic::server {

class RequestRouter final : public transport::RequestHandler {
 public:
  // `peer_id` and `node_version` are what this node tells peers and clients about itself.
  // `database` serves the client messages; nullptr when the node has none (yet).
  // OWNERSHIP: `clock` and `database` must outlive the router.
  // `describe_cluster` is what node.status reports as the cluster (none: null).
  static Result<std::unique_ptr<RequestRouter>> Create(
      std::string peer_id, std::string node_version, const time::Clock& clock,
      runtime::services::Database* database = nullptr,
      runtime::services::ClientService::ClusterDescriber describe_cluster = nullptr) noexcept;

  void OnRequest(std::string_view request, transport::Responder& responder) noexcept override;

  // The reply bytes for `request`; what OnRequest sends.
  std::string Route(std::string_view request) const noexcept;

 private:
  RequestRouter(std::string peer_id, std::string node_version,
                runtime::services::Database* database,
                runtime::services::ClientService::ClusterDescriber describe_cluster);

  // Declared before the dispatcher, which refers to them.
  cluster::membership::PingHandler ping_;
  std::unique_ptr<runtime::services::Database> no_database_;  // used when none was given
  runtime::services::ClientService client_;
  std::unique_ptr<cluster::wire::MessageDispatcher> dispatcher_;
};

}  // namespace optimystic::server
