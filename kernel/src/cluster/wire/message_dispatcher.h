// SPDX-License-Identifier: Apache-2.0
// MessageDispatcher: turns the bytes of one request into the bytes of its reply. It decodes the
// envelope, refuses a request whose deadline has passed, hands the request to the handler
// registered for its type and encodes what the handler returns. Every failure (bytes that do not
// decode, an unknown version or type, a type with no handler here, a handler's error, a reply
// that cannot be encoded) becomes an "error" reply, so any input yields a well-formed reply
// envelope. A reply echoes the request's id and deadline (0 when they could not be read) and
// carries this node's peer id as sender.
// Handlers are synchronous: a handler returns its reply. A handler that waits on others (the
// client messages wait on peers) runs on a thread its caller provides (server/RequestRouter).
// Thread-safety: Register before serving, from one thread; then Dispatch may be called from
// any number of threads at once, and handlers must allow that too.
// Errors: Create and Register return InvalidArgument; Dispatch never fails.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>
#include <optimystic/time/clock.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "cluster/wire/envelope.h"
#include "cluster/wire/message_type.h"

namespace optimystic::cluster::wire {

// What a handler answers: the reply's type and payload (a map).
struct Reply {
  MessageType type = MessageType::kError;
  block::Value payload = block::Value::object();
};

// InvalidArgument naming the message when `request` has no sender: a client sent a message
// only peers may send.
Status RequirePeerSender(const Envelope& request) noexcept;

class MessageHandler {
 public:
  // The reply to `request`, or an error the dispatcher sends back as an error reply.
  virtual Result<Reply> Handle(const Envelope& request) noexcept = 0;

 protected:
  ~MessageHandler() = default;
};

class MessageDispatcher final {
 public:
  // `peer_id` is written as the sender of every reply; `clock` judges deadlines.
  // InvalidArgument when the peer id could not be sent (over kMaxSenderBytes or not UTF-8).
  // OWNERSHIP: `clock` must outlive the dispatcher.
  static Result<std::unique_ptr<MessageDispatcher>> Create(
      std::string peer_id, const time::Clock& clock,
      size_t max_bytes = format::kMaxEnvelopeBytes) noexcept;

  // Sends requests of `type` to `handler`. InvalidArgument when `type` already has a handler.
  // OWNERSHIP: `handler` must outlive the dispatcher.
  Status Register(MessageType type, MessageHandler& handler) noexcept;

  // The encoded reply to `request`; always a valid envelope.
  std::string Dispatch(std::string_view request) const noexcept;
  // The same for a request already decoded (DecodeEnvelopeForReply with this max_bytes), for a
  // caller that looks at the type first.
  std::string Dispatch(const DecodeOutcome& decoded) const noexcept;
  // The error reply to a decoded request, without serving it.
  std::string Refuse(const DecodeOutcome& decoded, const Status& error) const noexcept;
  size_t max_bytes() const noexcept { return max_bytes_; }

 private:
  MessageDispatcher(std::string peer_id, const time::Clock& clock, size_t max_bytes);
  Result<Reply> Serve(const Envelope& request) const noexcept;
  std::string ErrorEnvelope(uint64_t request_id, int64_t deadline_unix_ms,
                            const Status& error) const noexcept;

  std::string peer_id_;
  const time::Clock& clock_;
  size_t max_bytes_;
  std::array<MessageHandler*, kMessageTypeCount> handlers_{};
};

}  // namespace optimystic::cluster::wire
