// SPDX-License-Identifier: Apache-2.0
#include <optimystic/client/client.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "base/system_clock.h"
#include "cluster/wire/envelope.h"
#include "cluster/wire/messages.h"

namespace optimystic::client {

namespace {

namespace wire = cluster::wire;
using block::Value;
using wire::MessageType;

constexpr std::string_view kUnreachablePrefix = "cannot reach ";

// Waits for the transport's one reply. It keeps itself alive until OnReply has returned, so
// that the waiting thread may drop its reference as soon as the reply is there.
class PendingReply final : public transport::ReplyCallback {
 public:
  static std::shared_ptr<PendingReply> Make() {
    auto pending = std::make_shared<PendingReply>();
    pending->self_ = pending;
    return pending;
  }

  void OnReply(Result<std::string> reply) noexcept override {
    std::shared_ptr<PendingReply> keep = std::move(self_);
    std::lock_guard lock(mu_);
    reply_.emplace(std::move(reply));
    done_.notify_all();
  }

  Result<std::string> Wait() {
    std::unique_lock lock(mu_);
    done_.wait(lock, [&] { return reply_.has_value(); });
    return std::move(*reply_);
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  std::optional<Result<std::string>> reply_;
  std::shared_ptr<PendingReply> self_;
};

// The error a transport failure becomes: unreachable for a refusal or a timeout, else with the
// URL as context.
Status TransportError(const std::string& url, const Status& error) {
  if (error.code() == StatusCode::kUnavailable || error.code() == StatusCode::kTimedOut) {
    return Status(error.code(),
                  std::string(kUnreachablePrefix) + url + ": " + std::string(error.message()));
  }
  return error.WithContext("request to " + url);
}

}  // namespace

Client::Client(transport::Transport& transport, std::string node_url, ClientOptions options)
    : transport_(transport), node_url_(std::move(node_url)), options_(options) {}

Result<Value> Client::Call(uint8_t type, Value payload, uint8_t reply_type) noexcept {
  const base::SystemClock system_clock;
  const time::Clock& clock = options_.clock != nullptr ? *options_.clock : system_clock;
  wire::Envelope request;
  request.type = static_cast<MessageType>(type);
  request.request_id = next_request_id_.fetch_add(1);
  request.deadline_unix_ms = clock.NowUnixMs() + options_.request_timeout_ms;
  request.payload = std::move(payload);
  const std::string_view name = wire::MessageTypeName(request.type);
  Result<std::string> bytes = wire::EncodeEnvelope(request, options_.max_request_bytes);
  if (!bytes) {
    return bytes.error().WithContext(std::string(name) + " request");
  }
  std::shared_ptr<PendingReply> pending = PendingReply::Make();
  transport_.Request(node_url_, *bytes, request.deadline_unix_ms, *pending);
  Result<std::string> reply_bytes = pending->Wait();
  if (!reply_bytes) {
    return TransportError(node_url_, reply_bytes.error());
  }
  Result<wire::Envelope> reply = wire::DecodeEnvelope(*reply_bytes);
  if (!reply) {
    return reply.error().WithContext("reply from " + node_url_);
  }
  if (reply->request_id != request.request_id) {
    return optimystic::Status::Internal("reply from " + node_url_ + ": request id " +
                                        std::to_string(reply->request_id) + ", expected " +
                                        std::to_string(request.request_id));
  }
  if (reply->type == MessageType::kError) {
    Result<wire::ErrorReply> error = wire::ErrorReplyFromPayload(reply->payload);
    if (!error) {
      return error.error().WithContext("reply from " + node_url_);
    }
    return wire::ErrorReplyToStatus(*error);
  }
  if (reply->type != static_cast<MessageType>(reply_type)) {
    return optimystic::Status::Internal("reply from " + node_url_ + ": '" +
                                        std::string(wire::MessageTypeName(reply->type)) + "' to '" +
                                        std::string(name) + "'");
  }
  return std::move(reply->payload);
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

bool IsUnreachable(const optimystic::Status& error) noexcept {
  return (error.code() == StatusCode::kUnavailable || error.code() == StatusCode::kTimedOut) &&
         error.message().substr(0, kUnreachablePrefix.size()) == kUnreachablePrefix;
}

}  // namespace optimystic::client
