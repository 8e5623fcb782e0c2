// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/messages.h"

#include <limits>
#include <optional>
#include <string_view>

#include "cluster/wire/payload_members.h"
#include "cluster/wire/wire_format.h"
#include "cluster/wire/wire_text.h"

namespace optimystic::cluster::wire {

namespace {

using block::Value;

constexpr const char* kPeerIdKey = "peerId";
constexpr const char* kProtocolVersionKey = "protocolVersion";
constexpr const char* kNodeVersionKey = "nodeVersion";
constexpr const char* kCodeKey = "code";
constexpr const char* kMessageKey = "message";
constexpr const char* kCollectionKey = "collection";
constexpr const char* kTypeKey = "type";
constexpr const char* kCreateKey = "create";
constexpr const char* kActionsKey = "actions";
constexpr const char* kDataKey = "data";
constexpr const char* kRevisionKey = "revision";
constexpr const char* kQueryKey = "query";
constexpr const char* kArgsKey = "args";
constexpr const char* kResultKey = "result";
constexpr const char* kReportKey = "report";
constexpr const char* kDatabaseKey = "database";
constexpr const char* kClusterKey = "cluster";
constexpr const char* kStatementsKey = "statements";
constexpr const char* kTransactionIdKey = "transactionId";
constexpr const char* kSuccessKey = "success";
constexpr const char* kCommittedKey = "committed";
constexpr const char* kFailedKey = "failed";
constexpr const char* kErrorKey = "error";

constexpr StatusCode kLastCode = StatusCode::kInternal;

Result<collections::Action> ActionMember(const Value& action, size_t index) {
  const std::string where = std::string(kActionsKey) + "[" + std::to_string(index) + "]";
  if (!action.is_object()) {
    return MemberError("collection.act", where,
                       "expected a map, found " + std::string(action.type_name()));
  }
  collections::Action out;
  auto type = action.find(kTypeKey);
  if (type == action.end()) {
    return MemberError("collection.act", where + "." + kTypeKey, "missing");
  }
  const auto* name = type->get_ptr<const std::string*>();
  if (name == nullptr || name->empty()) {
    return MemberError("collection.act", where + "." + kTypeKey,
                       name == nullptr
                           ? "expected a text string, found " + std::string(type->type_name())
                           : std::string("empty"));
  }
  out.type = *name;
  auto data = action.find(kDataKey);
  if (data == action.end()) {
    return MemberError("collection.act", where + "." + kDataKey, "missing");
  }
  out.data = *data;
  return out;
}

Result<std::vector<collections::Action>> ActionsMember(const Value& payload) {
  auto it = payload.find(kActionsKey);
  if (it == payload.end()) {
    return MemberError("collection.act", kActionsKey, "missing");
  }
  if (!it->is_array()) {
    return MemberError("collection.act", kActionsKey,
                       "expected an array, found " + std::string(it->type_name()));
  }
  if (it->empty()) {
    return MemberError("collection.act", kActionsKey, "no actions");
  }
  if (it->size() > kMaxActionsPerAct) {
    return MemberError("collection.act", kActionsKey,
                       std::to_string(it->size()) + " actions exceed the limit of " +
                           std::to_string(kMaxActionsPerAct));
  }
  std::vector<collections::Action> actions;
  actions.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(collections::Action action, ActionMember((*it)[i], i));
    actions.push_back(std::move(action));
  }
  return actions;
}

std::optional<StatusCode> ParseCode(std::string_view name) {
  for (int c = 0; c <= static_cast<int>(kLastCode); ++c) {
    const auto code = static_cast<StatusCode>(c);
    if (StatusCodeName(code) == name) {
      return code;
    }
  }
  return std::nullopt;
}

}  // namespace

bool operator==(const Pong& a, const Pong& b) noexcept {
  return a.peer_id == b.peer_id && a.protocol_version == b.protocol_version &&
         a.node_version == b.node_version;
}

bool operator==(const ErrorReply& a, const ErrorReply& b) noexcept {
  return a.code == b.code && a.message == b.message;
}

bool operator==(const CollectionAct& a, const CollectionAct& b) noexcept {
  return a.collection == b.collection && a.type == b.type && a.create == b.create &&
         a.actions == b.actions;
}

bool operator==(const CollectionQuery& a, const CollectionQuery& b) noexcept {
  return a.collection == b.collection && a.type == b.type && a.query == b.query && a.args == b.args;
}

bool operator==(const TransactionOk& a, const TransactionOk& b) noexcept {
  return a.transaction_id == b.transaction_id && a.success == b.success &&
         a.committed == b.committed && a.failed == b.failed && a.error == b.error;
}

bool operator==(const StatusOk& a, const StatusOk& b) noexcept {
  return a.peer_id == b.peer_id && a.node_version == b.node_version &&
         a.protocol_version == b.protocol_version && a.database == b.database &&
         a.cluster == b.cluster;
}

Value PingToPayload(const Ping&) noexcept { return Value::object(); }

Result<Ping> PingFromPayload(const Value& payload) noexcept {
  if (!payload.is_object()) {
    return Status::InvalidArgument("ping payload: expected a map");
  }
  return Ping{};
}

Value PongToPayload(const Pong& pong) noexcept {
  Value v = Value::object();
  v[kPeerIdKey] = pong.peer_id;
  v[kProtocolVersionKey] = static_cast<uint64_t>(pong.protocol_version);
  v[kNodeVersionKey] = pong.node_version;
  return v;
}

Result<Pong> PongFromPayload(const Value& payload) noexcept {
  Pong pong;
  OPTIMYSTIC_ASSIGN_OR_RETURN(pong.peer_id, TextMember(payload, "pong", kPeerIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(pong.protocol_version,
                              Uint32Member(payload, "pong", kProtocolVersionKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(pong.node_version, TextMember(payload, "pong", kNodeVersionKey));
  return pong;
}

Value CollectionActToPayload(const CollectionAct& act) noexcept {
  Value actions = Value::array();
  for (const collections::Action& action : act.actions) {
    actions.push_back(Value::object({{kTypeKey, action.type}, {kDataKey, action.data}}));
  }
  Value v = Value::object();
  v[kCollectionKey] = act.collection;
  v[kTypeKey] = act.type;
  v[kCreateKey] = act.create;
  v[kActionsKey] = std::move(actions);
  return v;
}

Result<CollectionAct> CollectionActFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "collection.act";
  CollectionAct act;
  OPTIMYSTIC_ASSIGN_OR_RETURN(act.collection, NonEmptyTextMember(payload, kName, kCollectionKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(act.type, NonEmptyTextMember(payload, kName, kTypeKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(act.create, OptionalBoolMember(payload, kName, kCreateKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(act.actions, ActionsMember(payload));
  return act;
}

Value ActOkToPayload(const ActOk& ok) noexcept {
  return Value::object({{kRevisionKey, ok.revision}});
}

Result<ActOk> ActOkFromPayload(const Value& payload) noexcept {
  ActOk ok;
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.revision, Uint64Member(payload, "act.ok", kRevisionKey));
  return ok;
}

Value CollectionQueryToPayload(const CollectionQuery& query) noexcept {
  Value v = Value::object();
  v[kCollectionKey] = query.collection;
  v[kTypeKey] = query.type;
  v[kQueryKey] = query.query;
  v[kArgsKey] = query.args;
  return v;
}

Result<CollectionQuery> CollectionQueryFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "collection.query";
  const Value no_args = Value::object();
  CollectionQuery query;
  OPTIMYSTIC_ASSIGN_OR_RETURN(query.collection, NonEmptyTextMember(payload, kName, kCollectionKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(query.type, NonEmptyTextMember(payload, kName, kTypeKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(query.query, NonEmptyTextMember(payload, kName, kQueryKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(query.args, AnyMember(payload, kName, kArgsKey, &no_args));
  return query;
}

Value QueryOkToPayload(const QueryOk& ok) noexcept {
  return Value::object({{kResultKey, ok.result}});
}

Result<QueryOk> QueryOkFromPayload(const Value& payload) noexcept {
  QueryOk ok;
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.result, AnyMember(payload, "query.ok", kResultKey));
  return ok;
}

Value CollectionVerifyToPayload(const CollectionVerify& verify) noexcept {
  return Value::object({{kCollectionKey, verify.collection}});
}

Result<CollectionVerify> CollectionVerifyFromPayload(const Value& payload) noexcept {
  CollectionVerify verify;
  OPTIMYSTIC_ASSIGN_OR_RETURN(verify.collection,
                              NonEmptyTextMember(payload, "collection.verify", kCollectionKey));
  return verify;
}

Value VerifyOkToPayload(const VerifyOk& ok) noexcept {
  return Value::object({{kReportKey, ok.report}});
}

Result<VerifyOk> VerifyOkFromPayload(const Value& payload) noexcept {
  VerifyOk ok;
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.report, AnyMember(payload, "verify.ok", kReportKey));
  return ok;
}

Value NodeStatusToPayload(const NodeStatus&) noexcept { return Value::object(); }

Result<NodeStatus> NodeStatusFromPayload(const Value& payload) noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(EmptyMap(payload, "node.status"));
  return NodeStatus{};
}

Value StatusOkToPayload(const StatusOk& ok) noexcept {
  Value v = Value::object();
  v[kPeerIdKey] = ok.peer_id;
  v[kNodeVersionKey] = ok.node_version;
  v[kProtocolVersionKey] = static_cast<uint64_t>(ok.protocol_version);
  v[kDatabaseKey] = ok.database;
  v[kClusterKey] = ok.cluster;
  return v;
}

Result<StatusOk> StatusOkFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "status.ok";
  StatusOk ok;
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.peer_id, TextMember(payload, kName, kPeerIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.node_version, TextMember(payload, kName, kNodeVersionKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.protocol_version,
                              Uint32Member(payload, kName, kProtocolVersionKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.database, AnyMember(payload, kName, kDatabaseKey));
  const Value no_cluster = nullptr;  // from a node before the cluster member
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.cluster, AnyMember(payload, kName, kClusterKey, &no_cluster));
  return ok;
}

ErrorReply ErrorReplyFromStatus(const Status& error) noexcept {
  return ErrorReply{error.ok() ? StatusCode::kInternal : error.code(),
                    BoundedText(error.message(), format::kMaxErrorMessageBytes)};
}

Status ErrorReplyToStatus(const ErrorReply& reply) noexcept {
  return Status(reply.code == StatusCode::kOk ? StatusCode::kInternal : reply.code,
                reply.message.empty() ? "remote error without a message" : reply.message);
}

Value ErrorReplyToPayload(const ErrorReply& reply) noexcept {
  Value v = Value::object();
  v[kCodeKey] = std::string(StatusCodeName(reply.code));
  v[kMessageKey] = reply.message;
  return v;
}

Result<ErrorReply> ErrorReplyFromPayload(const Value& payload) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string code_name, TextMember(payload, "error", kCodeKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string message, TextMember(payload, "error", kMessageKey));
  std::optional<StatusCode> code = ParseCode(code_name);
  if (code == StatusCode::kOk) {
    return MemberError("error", kCodeKey, "OK is not an error");
  }
  if (!code) {
    return ErrorReply{StatusCode::kInternal,
                      BoundedText(code_name, 64) + ": " + std::move(message)};
  }
  return ErrorReply{*code, std::move(message)};
}

Value TransactionToPayload(const Transaction& transaction) noexcept {
  return Value::object({{kStatementsKey, TextArray(transaction.statements)}});
}

Result<Transaction> TransactionFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "transaction";
  if (!payload.is_object()) {
    return Status::InvalidArgument(std::string(kName) + " payload: expected a map");
  }
  Transaction transaction;
  OPTIMYSTIC_ASSIGN_OR_RETURN(transaction.statements,
                              TextArrayMember(payload, kName, kStatementsKey, /*non_empty=*/true,
                                              kMaxStatementsPerTransaction));
  return transaction;
}

Value TransactionOkToPayload(const TransactionOk& ok) noexcept {
  Value v = Value::object();
  v[kTransactionIdKey] = ok.transaction_id;
  v[kSuccessKey] = ok.success;
  v[kCommittedKey] = TextArray(ok.committed);
  v[kFailedKey] = TextArray(ok.failed);
  if (ok.error) {
    v[kErrorKey] = ErrorReplyToPayload(*ok.error);
  }
  return v;
}

Result<TransactionOk> TransactionOkFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "transaction.ok";
  constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();
  TransactionOk ok;
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.transaction_id, TextMember(payload, kName, kTransactionIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.success, BoolMember(payload, kName, kSuccessKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.committed,
                              TextArrayMember(payload, kName, kCommittedKey, false, kUnbounded));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.failed,
                              TextArrayMember(payload, kName, kFailedKey, false, kUnbounded));
  auto error = payload.find(kErrorKey);
  if (error != payload.end()) {
    Result<ErrorReply> reply = ErrorReplyFromPayload(*error);
    if (!reply) {
      return reply.error().WithContext(std::string(kName) + " payload member 'error'");
    }
    ok.error = std::move(*reply);
  }
  if (ok.success == ok.error.has_value()) {
    return MemberError(
        kName, kErrorKey,
        ok.success ? "present although success is true" : "missing although success is false");
  }
  return ok;
}

}  // namespace optimystic::cluster::wire
