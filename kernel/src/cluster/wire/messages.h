// SPDX-License-Identifier: Apache-2.0
// The payloads of the wire messages (one struct per message type of message_type.h) and their
// conversion to and from an envelope's payload map. Member names are camelCase, like a block's
// header. A reader ignores members it does not know, so a later node may add some without a
// new protocol version (wire_format.h); a missing or mistyped member it needs is
// InvalidArgument naming the message and the member. docs/protocol.md lists every payload.
// Thread-safety: value types and pure functions.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/block/value.h>
#include <optimystic/collections/action.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace optimystic::cluster::wire {

// "ping": asks a node whether it is there and what it runs. Payload: {}.
struct Ping {};

// "pong": the reply to ping.
// Payload: {"nodeVersion": text, "peerId": text, "protocolVersion": unsigned 32-bit}.
struct Pong {
  std::string peer_id;            // the responder's peer id
  uint32_t protocol_version = 0;  // the protocol version the responder speaks
  std::string node_version;       // the responder's software version, e.g. "0.1.0"
};

// "error": the reply to a request that failed.
// Payload: {"code": text, "message": text}: code is a StatusCode name (status.h), e.g.
// "NotSupported"; never "OK".
struct ErrorReply {
  StatusCode code = StatusCode::kInternal;
  std::string message;
};

// ---- Client messages (DESIGN.md §8) ----------------------------------------------------------
// A collection and a collection type are named by non-empty text strings; what a name may be
// beyond that, and whether the type exists, is the node's to judge (runtime/services/database.h).

// The most actions one "collection.act" may carry; the envelope's size limit bounds the rest.
inline constexpr size_t kMaxActionsPerAct = 100000;

// "collection.act": acts `actions` on a collection and commits them together.
// Payload: {"collection": text, "type": text, "create": bool (optional, default false),
// "actions": [{"type": text, "data": any}, ...] (1 to kMaxActionsPerAct)}. An action's other
// members (a transaction stamp, a timestamp) are the node's to set and are not read.
struct CollectionAct {
  std::string collection;
  std::string type;     // the collection's type, e.g. "tree"
  bool create = false;  // create the collection when it is absent
  std::vector<collections::Action> actions;
};

// "act.ok": the reply to collection.act. Payload: {"revision": unsigned 64-bit}.
struct ActOk {
  uint64_t revision = 0;  // the collection's committed revision after the act
};

// "collection.query": runs a query of the collection's type.
// Payload: {"collection": text, "type": text, "query": text, "args": any (optional, default
// {})}.
struct CollectionQuery {
  std::string collection;
  std::string type;
  std::string query;  // e.g. "get", "range"
  block::Value args = block::Value::object();
};

// "query.ok": the reply to collection.query. Payload: {"result": any}.
struct QueryOk {
  block::Value result;
};

// "collection.verify": checks a collection's log. Payload: {"collection": text}.
struct CollectionVerify {
  std::string collection;
};

// "verify.ok": the reply to collection.verify. Payload: {"report": any}.
struct VerifyOk {
  block::Value report;
};

// "node.status": asks what a node runs and holds. Payload: {}.
struct NodeStatus {};

// "status.ok": the reply to node.status.
// Payload: {"cluster": any (optional, default null), "database": any, "nodeVersion": text,
// "peerId": text, "protocolVersion": unsigned 32-bit}; "database" is the node's description of
// its collections, types and resolvers, "cluster" its members and their ring ownership.
struct StatusOk {
  std::string peer_id;
  std::string node_version;
  uint32_t protocol_version = 0;
  block::Value database;
  block::Value cluster;
};

// The most statements one "transaction" may carry; the envelope's size limit bounds the rest.
inline constexpr size_t kMaxStatementsPerTransaction = 10000;

// "transaction": runs a multi-collection transaction (docs/transactions.md).
// Payload: {"statements": [text, ...] (1 to kMaxStatementsPerTransaction)}; each statement is
// the JSON text of {collectionId, actions}, which the node's actions engine reads.
struct Transaction {
  std::vector<std::string> statements;
};

// "transaction.ok": the reply to a transaction of which at least one collection committed.
// Payload: {"transactionId": text, "success": bool, "committed": [text, ...], "failed": [text,
// ...], "error": {"code": text, "message": text} (only when success is false)}. success false is
// a partial landing: `committed` hold the transaction, `failed` do not. A transaction of which
// nothing committed gets an "error" reply instead.
struct TransactionOk {
  std::string transaction_id;
  bool success = false;
  std::vector<std::string> committed;
  std::vector<std::string> failed;
  std::optional<ErrorReply> error;  // why `failed` failed; present exactly when !success
};

bool operator==(const Pong& a, const Pong& b) noexcept;
bool operator==(const ErrorReply& a, const ErrorReply& b) noexcept;
bool operator==(const CollectionAct& a, const CollectionAct& b) noexcept;
bool operator==(const CollectionQuery& a, const CollectionQuery& b) noexcept;
bool operator==(const StatusOk& a, const StatusOk& b) noexcept;
bool operator==(const TransactionOk& a, const TransactionOk& b) noexcept;

block::Value PingToPayload(const Ping& ping) noexcept;
Result<Ping> PingFromPayload(const block::Value& payload) noexcept;

block::Value PongToPayload(const Pong& pong) noexcept;
Result<Pong> PongFromPayload(const block::Value& payload) noexcept;

block::Value CollectionActToPayload(const CollectionAct& act) noexcept;
Result<CollectionAct> CollectionActFromPayload(const block::Value& payload) noexcept;
block::Value ActOkToPayload(const ActOk& ok) noexcept;
Result<ActOk> ActOkFromPayload(const block::Value& payload) noexcept;

block::Value CollectionQueryToPayload(const CollectionQuery& query) noexcept;
Result<CollectionQuery> CollectionQueryFromPayload(const block::Value& payload) noexcept;
block::Value QueryOkToPayload(const QueryOk& ok) noexcept;
Result<QueryOk> QueryOkFromPayload(const block::Value& payload) noexcept;

block::Value CollectionVerifyToPayload(const CollectionVerify& verify) noexcept;
Result<CollectionVerify> CollectionVerifyFromPayload(const block::Value& payload) noexcept;
block::Value VerifyOkToPayload(const VerifyOk& ok) noexcept;
Result<VerifyOk> VerifyOkFromPayload(const block::Value& payload) noexcept;

block::Value NodeStatusToPayload(const NodeStatus& status) noexcept;
Result<NodeStatus> NodeStatusFromPayload(const block::Value& payload) noexcept;
block::Value StatusOkToPayload(const StatusOk& ok) noexcept;
Result<StatusOk> StatusOkFromPayload(const block::Value& payload) noexcept;

block::Value TransactionToPayload(const Transaction& transaction) noexcept;
Result<Transaction> TransactionFromPayload(const block::Value& payload) noexcept;
block::Value TransactionOkToPayload(const TransactionOk& ok) noexcept;
Result<TransactionOk> TransactionOkFromPayload(const block::Value& payload) noexcept;

// The reply for `error`, its message cut to kMaxErrorMessageBytes and made valid UTF-8.
// REQUIRES: !error.ok()
ErrorReply ErrorReplyFromStatus(const Status& error) noexcept;
// The Status a requester sees for `reply`, e.g. "NotSupported: envelope: unknown ...".
Status ErrorReplyToStatus(const ErrorReply& reply) noexcept;

block::Value ErrorReplyToPayload(const ErrorReply& reply) noexcept;
// A code name this node does not know (from a newer node) reads as kInternal with the name kept
// at the front of the message, so that the requester still sees an error and its name.
Result<ErrorReply> ErrorReplyFromPayload(const block::Value& payload) noexcept;

}  // namespace optimystic::cluster::wire
