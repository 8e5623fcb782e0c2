// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/wire_call.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "base/system_clock.h"
#include "cluster/wire/envelope.h"
#include "cluster/wire/messages.h"

namespace optimystic::cluster::wire {

namespace {

constexpr std::string_view kUnreachablePrefix = "cannot reach ";

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

// Waits for the transport's one reply. It keeps itself alive until OnReply has returned, so
// that the waiting thread may drop its reference as soon as the reply is there.
class WireCall::Pending final : public transport::ReplyCallback {
 public:
  static std::shared_ptr<Pending> Make() {
    auto pending = std::make_shared<Pending>();
    pending->self_ = pending;
    return pending;
  }

  void OnReply(Result<std::string> reply) noexcept override {
    std::shared_ptr<Pending> keep = std::move(self_);
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
  std::shared_ptr<Pending> self_;
};

WireCall::WireCall() = default;
WireCall::WireCall(WireCall&&) noexcept = default;
WireCall& WireCall::operator=(WireCall&&) noexcept = default;

WireCall::~WireCall() {
  if (!waited_ && pending_) {
    (void)pending_->Wait();  // the reply nobody asked for is dropped
  }
}

void WireCall::Start(transport::Transport& transport, const std::string& url, MessageType type,
                     block::Value payload, MessageType reply_type, uint64_t request_id,
                     const CallOptions& options) noexcept {
  const base::SystemClock system_clock;
  const time::Clock& clock = options.clock != nullptr ? *options.clock : system_clock;
  url_ = url;
  type_ = type;
  reply_type_ = reply_type;
  request_id_ = request_id;
  start_error_.reset();
  waited_ = false;
  Envelope request;
  request.type = type;
  request.request_id = request_id;
  request.sender = options.sender;
  request.deadline_unix_ms = clock.NowUnixMs() + options.timeout_ms;
  request.payload = std::move(payload);
  Result<std::string> bytes = EncodeEnvelope(request, options.max_request_bytes);
  if (!bytes) {
    start_error_ = bytes.error().WithContext(std::string(MessageTypeName(type)) + " request");
    pending_.reset();
    return;
  }
  pending_ = Pending::Make();
  transport.Request(url, *bytes, request.deadline_unix_ms, *pending_);
}

Result<block::Value> WireCall::Wait() noexcept {
  waited_ = true;
  if (start_error_) {
    return *start_error_;
  }
  if (!pending_) {
    return Status::Internal("wire call: Wait without Start");
  }
  Result<std::string> reply_bytes = pending_->Wait();
  pending_.reset();
  if (!reply_bytes) {
    return TransportError(url_, reply_bytes.error());
  }
  Result<Envelope> reply = DecodeEnvelope(*reply_bytes);
  if (!reply) {
    return reply.error().WithContext("reply from " + url_);
  }
  if (reply->request_id != request_id_) {
    return Status::Internal("reply from " + url_ + ": request id " +
                            std::to_string(reply->request_id) + ", expected " +
                            std::to_string(request_id_));
  }
  if (reply->type == MessageType::kError) {
    Result<ErrorReply> error = ErrorReplyFromPayload(reply->payload);
    if (!error) {
      return error.error().WithContext("reply from " + url_);
    }
    return ErrorReplyToStatus(*error);
  }
  if (reply->type != reply_type_) {
    return Status::Internal("reply from " + url_ + ": '" +
                            std::string(MessageTypeName(reply->type)) + "' to '" +
                            std::string(MessageTypeName(type_)) + "'");
  }
  return std::move(reply->payload);
}

Result<block::Value> CallAndWait(transport::Transport& transport, const std::string& url,
                                 MessageType type, block::Value payload, MessageType reply_type,
                                 uint64_t request_id, const CallOptions& options) noexcept {
  WireCall call;
  call.Start(transport, url, type, std::move(payload), reply_type, request_id, options);
  return call.Wait();
}

bool IsUnreachable(const Status& error) noexcept {
  return (error.code() == StatusCode::kUnavailable || error.code() == StatusCode::kTimedOut) &&
         error.message().substr(0, kUnreachablePrefix.size()) == kUnreachablePrefix;
}

}  // namespace optimystic::cluster::wire
