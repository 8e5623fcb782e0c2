// SPDX-License-Identifier: Apache-2.0
#include "runtime/services/client_service.h"

#include <utility>

#include "cluster/wire/messages.h"
#include "cluster/wire/wire_format.h"

namespace optimystic::runtime::services {

namespace wire = cluster::wire;
using wire::MessageType;

ClientService::ClientService(Database& database, std::string peer_id, std::string node_version,
                             ClusterDescriber describe_cluster)
    : database_(database),
      peer_id_(std::move(peer_id)),
      node_version_(std::move(node_version)),
      describe_cluster_(std::move(describe_cluster)) {}

Status ClientService::RegisterWith(wire::MessageDispatcher& dispatcher) noexcept {
  for (MessageType type :
       {MessageType::kCollectionAct, MessageType::kCollectionQuery, MessageType::kCollectionVerify,
        MessageType::kNodeStatus, MessageType::kTransaction}) {
    OPTIMYSTIC_RETURN_IF_ERROR(dispatcher.Register(type, *this));
  }
  return Status::Ok();
}

Result<wire::Reply> ClientService::Handle(const wire::Envelope& request) noexcept {
  switch (request.type) {
    case MessageType::kCollectionAct:
      return Act(request.payload);
    case MessageType::kCollectionQuery:
      return Query(request.payload);
    case MessageType::kCollectionVerify:
      return Verify(request.payload);
    case MessageType::kNodeStatus:
      return Describe(request.payload);
    case MessageType::kTransaction:
      return Transact(request.payload);
    default:
      return Status::NotSupported("client service: '" +
                                  std::string(wire::MessageTypeName(request.type)) +
                                  "' is not a client request");
  }
}

Result<wire::Reply> ClientService::Act(const block::Value& payload) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::CollectionAct act, wire::CollectionActFromPayload(payload));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      ActOutcome outcome,
      database_.Act(act.collection, act.type, std::move(act.actions), act.create));
  return wire::Reply{MessageType::kActOk, wire::ActOkToPayload(wire::ActOk{outcome.revision})};
}

Result<wire::Reply> ClientService::Query(const block::Value& payload) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::CollectionQuery query,
                              wire::CollectionQueryFromPayload(payload));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::Value result, database_.Query(query.collection, query.type, query.query, query.args));
  return wire::Reply{MessageType::kQueryOk,
                     wire::QueryOkToPayload(wire::QueryOk{std::move(result)})};
}

Result<wire::Reply> ClientService::Verify(const block::Value& payload) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::CollectionVerify verify,
                              wire::CollectionVerifyFromPayload(payload));
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value report, database_.Verify(verify.collection));
  return wire::Reply{MessageType::kVerifyOk,
                     wire::VerifyOkToPayload(wire::VerifyOk{std::move(report)})};
}

Result<wire::Reply> ClientService::Describe(const block::Value& payload) {
  OPTIMYSTIC_RETURN_IF_ERROR(wire::NodeStatusFromPayload(payload).status());
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value database, database_.Describe());
  wire::StatusOk ok{peer_id_, node_version_, wire::format::kProtocolVersion, std::move(database),
                    describe_cluster_ ? describe_cluster_() : block::Value(nullptr)};
  return wire::Reply{MessageType::kStatusOk, wire::StatusOkToPayload(ok)};
}

Result<wire::Reply> ClientService::Transact(const block::Value& payload) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::Transaction transaction, wire::TransactionFromPayload(payload));
  OPTIMYSTIC_ASSIGN_OR_RETURN(TransactOutcome outcome,
                              database_.Transact(std::move(transaction.statements)));
  wire::TransactionOk ok;
  ok.transaction_id = std::move(outcome.transaction_id);
  ok.success = outcome.success;
  ok.committed = std::move(outcome.committed);
  ok.failed = std::move(outcome.failed);
  if (!outcome.success) {
    // A partial landing without a reason would still have to say that it failed.
    ok.error = wire::ErrorReplyFromStatus(
        outcome.error.ok() ? Status::Aborted("Transaction partially committed") : outcome.error);
  }
  return wire::Reply{MessageType::kTransactionOk, wire::TransactionOkToPayload(ok)};
}

}  // namespace optimystic::runtime::services
