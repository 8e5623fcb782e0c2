// SPDX-License-Identifier: Apache-2.0
// RequestRouter: the handler the node gives its transport. Each request's bytes go through the
// cluster's MessageDispatcher, which decodes the envelope and calls the handler for its type; the
// reply is always an encoded envelope: "pong" for "ping", the client messages' replies from the
// ClientService over the node's Database (runtime/services), the peer messages' from the
// RepoService and the MembersService when the node has them, and an "error" envelope
// (docs/protocol.md) for anything else, including bytes that are not a message at all. A router
// made without a Database answers every client message with Unavailable "no database". The
// router never fails a request at the transport level, so a client always gets an answer it can
// decode.
// Lanes: ping and member exchange are answered on the transport's thread (they never wait);
// client messages, which wait on peers, run on a pool of their own, and repo messages, which
// only touch this node's storage, on another. So a node whose client workers all wait on
// peers still answers those peers' repo requests, and no two nodes can wait on each other.
// Every decoded request is reported to RouterOptions::on_served with its type and the bytes of
// the request and of the reply (the node's per-type traffic metrics).
// Thread-safety: immutable once created; OnRequest runs on the transport's threads at once.
// Errors: Create returns InvalidArgument for a peer id that cannot be sent.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/time/clock.h>
#include <optimystic/transport/transport.h>

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cluster/consensus/consensus_service.h"
#include "cluster/membership/members_service.h"
#include "cluster/membership/ping_handler.h"
#include "cluster/network/repo_service.h"
#include "cluster/repair/repair_service.h"
#include "cluster/wire/message_dispatcher.h"
#include "runtime/services/client_service.h"
#include "runtime/services/database.h"
#include "server/fault_injection.h"

namespace optimystic::server {

struct RouterOptions {
  size_t client_workers = 16;  // client requests served at once
  size_t peer_workers = 16;    // repo requests from peers served at once
  // Consensus records and history, digest and heads requests served at once. A lane of their
  // own: a repo request a node coordinates waits on its peers' consensus requests, which never
  // wait on a repo one.
  size_t consensus_workers = 8;
  // Called once per decoded request, after its reply is made, on the thread that made it.
  using OnServed = std::function<void(cluster::wire::MessageType type, size_t request_bytes,
                                      size_t reply_bytes)>;
  OnServed on_served;
};

// The services that answer peer messages; a null one's messages are not served.
// OWNERSHIP: each must outlive the router.
struct PeerServices {
  cluster::network::RepoService* repo = nullptr;
  cluster::membership::MembersService* members = nullptr;
  cluster::consensus::ConsensusService* consensus = nullptr;
  cluster::repair::RepairService* repair = nullptr;
  // "debug.faults" (fault injection; not a peer service, but served the same way).
  FaultInjectionService* faults = nullptr;
  // "cluster.leave" (a client's request to this node; served the same way).
  cluster::wire::MessageHandler* leave = nullptr;
};

class RequestRouter final : public transport::RequestHandler {
 public:
  // `peer_id` and `node_version` are what this node tells peers and clients about itself.
  // `database` serves the client messages; nullptr when the node has none (yet).
  // `describe_cluster` is what node.status reports as the cluster (none: null).
  // `peers` serve the peer messages.
  // OWNERSHIP: `clock`, `database` and the services of `peers` must outlive the router.
  static Result<std::unique_ptr<RequestRouter>> Create(
      std::string peer_id, std::string node_version, const time::Clock& clock,
      runtime::services::Database* database = nullptr,
      runtime::services::ClientService::ClusterDescriber describe_cluster = nullptr,
      PeerServices peers = {}, RouterOptions options = {}) noexcept;
  ~RequestRouter();  // Drain()s

  void OnRequest(std::string_view request, transport::Responder& responder) noexcept override;

  // The reply bytes for `request`, served on the calling thread.
  std::string Route(std::string_view request) const noexcept;

  // Waits until every request handed to a worker has been answered; later client and repo
  // requests are refused Unavailable "node is stopping". Call once the transport has stopped.
  void Drain() noexcept;

 private:
  RequestRouter(std::string peer_id, std::string node_version,
                runtime::services::Database* database,
                runtime::services::ClientService::ClusterDescriber describe_cluster,
                RouterOptions options);
  // Replies with `reply` to the request `decoded` came from, and reports it to on_served_.
  void Answer(const cluster::wire::DecodeOutcome& decoded, size_t request_bytes, std::string reply,
              transport::Responder& responder) const noexcept;

  // Declared before the dispatcher, which refers to them.
  cluster::membership::PingHandler ping_;
  std::unique_ptr<runtime::services::Database> no_database_;  // used when none was given
  runtime::services::ClientService client_;
  std::unique_ptr<cluster::wire::MessageDispatcher> dispatcher_;
  boost::asio::thread_pool client_pool_;
  boost::asio::thread_pool peer_pool_;
  boost::asio::thread_pool consensus_pool_;
  const RouterOptions::OnServed on_served_;
  std::atomic<bool> drained_{false};
};

}  // namespace optimystic::server
