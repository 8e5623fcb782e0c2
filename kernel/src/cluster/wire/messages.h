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

#include <cstdint>
#include <string>

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

bool operator==(const Pong& a, const Pong& b) noexcept;
bool operator==(const ErrorReply& a, const ErrorReply& b) noexcept;

block::Value PingToPayload(const Ping& ping) noexcept;
Result<Ping> PingFromPayload(const block::Value& payload) noexcept;

block::Value PongToPayload(const Pong& pong) noexcept;
Result<Pong> PongFromPayload(const block::Value& payload) noexcept;

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
