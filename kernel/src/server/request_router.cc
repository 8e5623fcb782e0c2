// SPDX-License-Identifier: Apache-2.0
#include "server/request_router.h"

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
    runtime::services::ClientService::ClusterDescriber describe_cluster) noexcept {
  std::unique_ptr<RequestRouter> router(
      new RequestRouter(peer_id, std::move(node_version), database, std::move(describe_cluster)));
  OPTIMYSTIC_ASSIGN_OR_RETURN(router->dispatcher_,
                              cluster::wire::MessageDispatcher::Create(std::move(peer_id), clock));
  OPTIMYSTIC_RETURN_IF_ERROR(
      router->dispatcher_->Register(cluster::wire::MessageType::kPing, router->ping_));
  OPTIMYSTIC_RETURN_IF_ERROR(router->client_.RegisterWith(*router->dispatcher_));
  return router;
}

RequestRouter::RequestRouter(std::string peer_id, std::string node_version,
                             runtime::services::Database* database,
                             runtime::services::ClientService::ClusterDescriber describe_cluster)
    : ping_(peer_id, node_version),
      client_(DatabaseOr(database, no_database_), std::move(peer_id), std::move(node_version),
              std::move(describe_cluster)) {}

void RequestRouter::OnRequest(std::string_view request, transport::Responder& responder) noexcept {
  responder.Reply(Route(request));
}

std::string RequestRouter::Route(std::string_view request) const noexcept {
  return dispatcher_->Dispatch(request);
}

}  // namespace optimystic::server
