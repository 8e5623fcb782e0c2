// SPDX-License-Identifier: Apache-2.0
#include "server/request_router.h"

#include <boost/asio/post.hpp>

#include <memory>
#include <utility>

namespace optimystic::server {

namespace {

// What a node without a Database answers to every client message.
class NoDatabase final : public runtime::services::Database {
 public:
  Result<runtime::services::ActOutcome> Act(std::string_view, std::string_view,
                                            std::vector<collections::Action>, bool) override {
    return Refusal();
  }
  Result<block::Value> Query(std::string_view, std::string_view, std::string_view,
                             const block::Value&) override {
    return Refusal();
  }
  Result<block::Value> Verify(std::string_view) override { return Refusal(); }
  Result<block::Value> Describe() override { return Refusal(); }
  Result<runtime::services::TransactOutcome> Transact(std::vector<std::string>) override {
    return Refusal();
  }

 private:
  static Status Refusal() { return Status::Unavailable("no database"); }
};

runtime::services::Database& DatabaseOr(runtime::services::Database* database,
                                        std::unique_ptr<runtime::services::Database>& fallback) {
  if (database != nullptr) {
    return *database;
  }
  fallback = std::make_unique<NoDatabase>();
  return *fallback;
}

}  // namespace

Result<std::unique_ptr<RequestRouter>> RequestRouter::Create(
    std::string peer_id, std::string node_version, const time::Clock& clock,
    runtime::services::Database* database,
    runtime::services::ClientService::ClusterDescriber describe_cluster,
    PeerServices peers, RouterOptions options) noexcept {
  std::unique_ptr<RequestRouter> router(new RequestRouter(
      peer_id, std::move(node_version), database, std::move(describe_cluster), options));
  OPTIMYSTIC_ASSIGN_OR_RETURN(router->dispatcher_,
                              cluster::wire::MessageDispatcher::Create(std::move(peer_id), clock));
  OPTIMYSTIC_RETURN_IF_ERROR(
      router->dispatcher_->Register(cluster::wire::MessageType::kPing, router->ping_));
  OPTIMYSTIC_RETURN_IF_ERROR(router->client_.RegisterWith(*router->dispatcher_));
  if (peers.repo != nullptr) {
    OPTIMYSTIC_RETURN_IF_ERROR(peers.repo->RegisterWith(*router->dispatcher_));
  }
  if (peers.members != nullptr) {
    OPTIMYSTIC_RETURN_IF_ERROR(router->dispatcher_->Register(
        cluster::wire::MessageType::kClusterMembers, *peers.members));
  }
  if (peers.consensus != nullptr) {
    OPTIMYSTIC_RETURN_IF_ERROR(peers.consensus->RegisterWith(*router->dispatcher_));
  }
  if (peers.repair != nullptr) {
    OPTIMYSTIC_RETURN_IF_ERROR(peers.repair->RegisterWith(*router->dispatcher_));
  }
  if (peers.leave != nullptr) {
    OPTIMYSTIC_RETURN_IF_ERROR(
        router->dispatcher_->Register(cluster::wire::MessageType::kClusterLeave, *peers.leave));
  }
  if (peers.faults != nullptr) {
    OPTIMYSTIC_RETURN_IF_ERROR(peers.faults->RegisterWith(*router->dispatcher_));
  }
  return router;
}

RequestRouter::RequestRouter(std::string peer_id, std::string node_version,
                             runtime::services::Database* database,
                             runtime::services::ClientService::ClusterDescriber describe_cluster,
                             RouterOptions options)
    : ping_(peer_id, node_version),
      client_(DatabaseOr(database, no_database_), std::move(peer_id), std::move(node_version),
              std::move(describe_cluster)),
      client_pool_(options.client_workers),
      peer_pool_(options.peer_workers),
      consensus_pool_(options.consensus_workers),
      on_served_(std::move(options.on_served)) {}

RequestRouter::~RequestRouter() { Drain(); }

void RequestRouter::OnRequest(std::string_view request, transport::Responder& responder) noexcept {
  using cluster::wire::MessageType;
  auto decoded = std::make_shared<cluster::wire::DecodeOutcome>(
      cluster::wire::DecodeEnvelopeForReply(request, dispatcher_->max_bytes()));
  boost::asio::thread_pool* lane = nullptr;
  if (decoded->envelope) {
    switch (decoded->envelope->type) {
      case MessageType::kPing:
      case MessageType::kClusterMembers:
      case MessageType::kRepoRepair:  // only queues
        break;  // never waits
      case MessageType::kRepoGet:
      case MessageType::kRepoStatus:
      case MessageType::kRepoPend:
      case MessageType::kRepoCommit:
      case MessageType::kRepoCancel:
        lane = &peer_pool_;
        break;
      case MessageType::kClusterUpdate:
      case MessageType::kRepoHistory:
      case MessageType::kRepoDigest:
      case MessageType::kRepoHeads:
        lane = &consensus_pool_;
        break;
      default:
        lane = &client_pool_;
        break;
    }
  }
  const size_t request_bytes = request.size();
  if (lane == nullptr) {
    Answer(*decoded, request_bytes, dispatcher_->Dispatch(*decoded), responder);
    return;
  }
  if (drained_.load()) {
    Answer(*decoded, request_bytes,
           dispatcher_->Refuse(*decoded, Status::Unavailable("node is stopping")), responder);
    return;
  }
  boost::asio::post(*lane, [this, decoded, request_bytes, &responder] {
    Answer(*decoded, request_bytes, dispatcher_->Dispatch(*decoded), responder);
  });
}

void RequestRouter::Answer(const cluster::wire::DecodeOutcome& decoded, size_t request_bytes,
                           std::string reply, transport::Responder& responder) const noexcept {
  const size_t reply_bytes = reply.size();
  responder.Reply(reply);
  if (on_served_ && decoded.envelope) {
    on_served_(decoded.envelope->type, request_bytes, reply_bytes);
  }
}

std::string RequestRouter::Route(std::string_view request) const noexcept {
  return dispatcher_->Dispatch(request);
}

void RequestRouter::Drain() noexcept {
  drained_.store(true);
  client_pool_.join();
  peer_pool_.join();
  consensus_pool_.join();
}

}  // namespace optimystic::server
