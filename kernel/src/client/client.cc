// SPDX-License-Identifier: Apache-2.0
#include <optimystic/client/client.h>

#include <memory>
#include <utility>

#include "cluster/wire/wire_call.h"
#include "cluster/wire/messages.h"
#include "cluster/wire/payload_members.h"

namespace optimystic::client {

namespace {

namespace wire = cluster::wire;
using block::Value;
using wire::MessageType;

}  // namespace

Client::Client(transport::Transport& transport, std::string node_url, ClientOptions options)
    : transport_(transport), node_url_(std::move(node_url)), options_(options) {}

Result<Value> Client::Call(uint8_t type, Value payload, uint8_t reply_type) noexcept {
  wire::CallOptions options;
  options.timeout_ms = options_.request_timeout_ms;
  options.max_request_bytes = options_.max_request_bytes;
  options.clock = options_.clock;
  return wire::CallAndWait(transport_, node_url_, static_cast<MessageType>(type),
                           std::move(payload), static_cast<MessageType>(reply_type),
                           next_request_id_.fetch_add(1), options);
}

Result<ActResult> Client::Act(std::string_view collection, std::string_view type,
                              std::vector<collections::Action> actions,
                              CreateMode create) noexcept {
  wire::CollectionAct act{std::string(collection), std::string(type),
                          create == CreateMode::kCreateIfAbsent, std::move(actions)};
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value payload, Call(static_cast<uint8_t>(MessageType::kCollectionAct),
                                                  wire::CollectionActToPayload(act),
                                                  static_cast<uint8_t>(MessageType::kActOk)));
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::ActOk ok, wire::ActOkFromPayload(payload));
  return ActResult{ok.revision};
}

Result<Value> Client::Query(std::string_view collection, std::string_view type,
                            std::string_view query, const Value& args) noexcept {
  wire::CollectionQuery request{std::string(collection), std::string(type), std::string(query),
                                args};
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      Value payload,
      Call(static_cast<uint8_t>(MessageType::kCollectionQuery),
           wire::CollectionQueryToPayload(request), static_cast<uint8_t>(MessageType::kQueryOk)));
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::QueryOk ok, wire::QueryOkFromPayload(payload));
  return std::move(ok.result);
}

Result<Value> Client::Verify(std::string_view collection) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      Value payload,
      Call(static_cast<uint8_t>(MessageType::kCollectionVerify),
           wire::CollectionVerifyToPayload(wire::CollectionVerify{std::string(collection)}),
           static_cast<uint8_t>(MessageType::kVerifyOk)));
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::VerifyOk ok, wire::VerifyOkFromPayload(payload));
  return std::move(ok.report);
}

Result<TransactResult> Client::Transact(std::vector<std::string> statements) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      Value payload, Call(static_cast<uint8_t>(MessageType::kTransaction),
                          wire::TransactionToPayload(wire::Transaction{std::move(statements)}),
                          static_cast<uint8_t>(MessageType::kTransactionOk)));
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::TransactionOk ok, wire::TransactionOkFromPayload(payload));
  TransactResult result;
  result.success = ok.success;
  result.transaction_id = std::move(ok.transaction_id);
  result.committed = std::move(ok.committed);
  result.failed = std::move(ok.failed);
  if (ok.error) {
    result.error = wire::ErrorReplyToStatus(*ok.error);
  }
  return result;
}

Result<NodeStatus> Client::Status() noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value payload, Call(static_cast<uint8_t>(MessageType::kNodeStatus),
                                                  wire::NodeStatusToPayload(wire::NodeStatus{}),
                                                  static_cast<uint8_t>(MessageType::kStatusOk)));
  OPTIMYSTIC_ASSIGN_OR_RETURN(wire::StatusOk ok, wire::StatusOkFromPayload(payload));
  return NodeStatus{std::move(ok.peer_id), std::move(ok.node_version), ok.protocol_version,
                    std::move(ok.database), std::move(ok.cluster)};
}

Result<std::string> Client::Leave() noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value payload, Call(static_cast<uint8_t>(MessageType::kClusterLeave),
                                                  Value::object(),
                                                  static_cast<uint8_t>(MessageType::kClusterLeaveOk)));
  return wire::TextMember(payload, "cluster.leave.ok", "role");
}

bool IsUnreachable(const optimystic::Status& error) noexcept { return wire::IsUnreachable(error); }

}  // namespace optimystic::client
