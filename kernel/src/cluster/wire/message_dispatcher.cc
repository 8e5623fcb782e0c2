// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/message_dispatcher.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "cluster/wire/messages.h"
#include "cluster/wire/wire_text.h"

namespace optimystic::cluster::wire {

Status RequirePeerSender(const Envelope& request) noexcept {
  if (request.sender.empty()) {
    return Status::InvalidArgument("'" + std::string(MessageTypeName(request.type)) +
                                   "' is a peer message; clients cannot send it");
  }
  return Status::Ok();
}

namespace {

// An error reply is at most a peer id (256 bytes), a cut message (1024 bytes), a code name and
// the envelope's own members, well below this; a smaller max_bytes is raised to it for them.
constexpr size_t kMinReplyBytes = 4096;

}  // namespace

Result<std::unique_ptr<MessageDispatcher>> MessageDispatcher::Create(std::string peer_id,
                                                                     const time::Clock& clock,
                                                                     size_t max_bytes) noexcept {
  if (peer_id.size() > format::kMaxSenderBytes || !IsValidUtf8(peer_id)) {
    return Status::InvalidArgument("message dispatcher: peer id is not UTF-8 of at most " +
                                   std::to_string(format::kMaxSenderBytes) + " bytes");
  }
  return std::unique_ptr<MessageDispatcher>(
      new MessageDispatcher(std::move(peer_id), clock, max_bytes));
}

MessageDispatcher::MessageDispatcher(std::string peer_id, const time::Clock& clock,
                                     size_t max_bytes)
    : peer_id_(std::move(peer_id)), clock_(clock), max_bytes_(max_bytes) {}

Status MessageDispatcher::Register(MessageType type, MessageHandler& handler) noexcept {
  const auto index = static_cast<size_t>(type);
  if (index >= kMessageTypeCount) {
    return Status::InvalidArgument("message dispatcher: no such message type " +
                                   std::to_string(index));
  }
  if (handlers_[index] != nullptr) {
    return Status::InvalidArgument("message dispatcher: '" + std::string(MessageTypeName(type)) +
                                   "' already has a handler");
  }
  handlers_[index] = &handler;
  return Status::Ok();
}

Result<Reply> MessageDispatcher::Serve(const Envelope& request) const noexcept {
  MessageHandler* handler = handlers_[static_cast<size_t>(request.type)];
  if (handler == nullptr) {
    return Status::NotSupported("no handler for message type '" +
                                std::string(MessageTypeName(request.type)) + "' on this node");
  }
  const int64_t now_unix_ms = clock_.NowUnixMs();
  if (request.deadline_unix_ms != 0 && now_unix_ms > request.deadline_unix_ms) {
    return Status::TimedOut("deadline passed " +
                            std::to_string(now_unix_ms - request.deadline_unix_ms) +
                            " ms before the request was served");
  }
  return handler->Handle(request);
}

std::string MessageDispatcher::Dispatch(std::string_view request) const noexcept {
  return Dispatch(DecodeEnvelopeForReply(request, max_bytes_));
}

std::string MessageDispatcher::Dispatch(const DecodeOutcome& decoded) const noexcept {
  if (!decoded.envelope) {
    return ErrorEnvelope(decoded.request_id, decoded.deadline_unix_ms, decoded.envelope.error());
  }
  const Envelope& in = *decoded.envelope;
  Result<Reply> reply = Serve(in);
  if (!reply) {
    return ErrorEnvelope(in.request_id, in.deadline_unix_ms, reply.error());
  }
  Envelope out;
  out.type = reply->type;
  out.request_id = in.request_id;
  out.sender = peer_id_;
  out.deadline_unix_ms = in.deadline_unix_ms;
  out.payload = std::move(reply->payload);
  Result<std::string> bytes = EncodeEnvelope(out, max_bytes_);
  if (!bytes) {
    return ErrorEnvelope(
        in.request_id, in.deadline_unix_ms,
        Status::Internal("reply to '" + std::string(MessageTypeName(in.type)) +
                         "' could not be sent: " + std::string(bytes.error().message())));
  }
  return std::move(*bytes);
}

std::string MessageDispatcher::Refuse(const DecodeOutcome& decoded,
                                      const Status& error) const noexcept {
  return ErrorEnvelope(decoded.request_id, decoded.deadline_unix_ms, error);
}

std::string MessageDispatcher::ErrorEnvelope(uint64_t request_id, int64_t deadline_unix_ms,
                                             const Status& error) const noexcept {
  Envelope out;
  out.type = MessageType::kError;
  out.request_id = request_id;
  out.sender = peer_id_;
  out.deadline_unix_ms = deadline_unix_ms;
  out.payload = ErrorReplyToPayload(ErrorReplyFromStatus(error));
  // Its parts are all bounded and valid (the peer id was checked by Create, the message is cut
  // and made UTF-8), so only a max_bytes below a few kilobytes could make this fail.
  Result<std::string> bytes = EncodeEnvelope(out, std::max(max_bytes_, kMinReplyBytes));
  if (!bytes) {
    std::fprintf(stderr, "message dispatcher: cannot encode an error reply: %s\n",
                 bytes.error().ToString().c_str());
    std::abort();
  }
  return std::move(*bytes);
}

}  // namespace optimystic::cluster::wire
