// SPDX-License-Identifier: Apache-2.0
// Envelope: one wire message (DESIGN.md §6): protocol version, message type, request id, sender
// peer id, deadline and payload, in the canonical block encoding (layout in wire_format.h).
// Decoding is total: any byte string yields an Envelope or a Status naming what is wrong, never
// a crash, and reads nothing past the input. Error codes: InvalidArgument for a message over
// the size limit or a missing, unexpected or mistyped member (the message names the member);
// Corruption for bytes that are not one canonical codec value (naming the offset);
// Incompatible for a protocol version this node does not speak (naming it); NotSupported for a
// message type this node does not know (naming it).
// Thread-safety: Envelope is a value type; the functions are pure.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/wire/message_type.h"
#include "cluster/wire/wire_format.h"

namespace optimystic::cluster::wire {

struct Envelope {
  uint32_t version = format::kProtocolVersion;
  MessageType type = MessageType::kPing;
  uint64_t request_id = 0;
  std::string sender;            // peer id; empty for a client
  int64_t deadline_unix_ms = 0;  // 0: no deadline
  block::Value payload = block::Value::object();
};

bool operator==(const Envelope& a, const Envelope& b) noexcept;

// The bytes of `envelope`. The version is written as given, so that a test can speak another
// one. InvalidArgument when the envelope could not be decoded back: a sender over
// kMaxSenderBytes or not UTF-8, a negative deadline, a payload that is not a map or nests deeper
// than kMaxPayloadDepth, or a message over `max_bytes`.
Result<std::string> EncodeEnvelope(const Envelope& envelope,
                                   size_t max_bytes = format::kMaxEnvelopeBytes) noexcept;

// The envelope in `bytes`, or the error described in the file comment.
Result<Envelope> DecodeEnvelope(std::string_view bytes,
                                size_t max_bytes = format::kMaxEnvelopeBytes) noexcept;

// A decoded envelope, or the error and whatever the error reply needs from the bytes.
struct DecodeOutcome {
  Result<Envelope> envelope;
  // The message's request id when its "id" member could be read, even if decoding failed
  // otherwise (so that an error reply can echo it); 0 when it could not.
  uint64_t request_id = 0;
  int64_t deadline_unix_ms = 0;  // likewise for "deadline"
};

// DecodeEnvelope, keeping the request id and deadline of a message it refuses when they can be
// read.
DecodeOutcome DecodeEnvelopeForReply(std::string_view bytes,
                                     size_t max_bytes = format::kMaxEnvelopeBytes) noexcept;

}  // namespace optimystic::cluster::wire
