// SPDX-License-Identifier: Apache-2.0
// The byte layout of a wire message (the envelope, envelope.h) and the constants shared by its
// encoder, decoder and dispatcher. docs/protocol.md describes the same for readers outside the
// code. Thread-safety: constants only. Errors: none here; envelope.h reports them.
//
// Bytes
//   A message is exactly the canonical block encoding (optimystic/block/codec.h,
//   core/block/block_format.h) of one value: the codec version byte 0x01, then one canonical
//   CBOR item, nothing after it. That item is a map with exactly these six members; map keys are
//   written in byte-wise order, so the bytes of the map are always in this order:
//     "deadline"  unsigned integer <= 2^63-1: unix milliseconds after which the sender no
//                 longer wants the reply; 0 means no deadline.
//     "id"        unsigned integer (64-bit): the request id, chosen by the requester; a reply
//                 carries the id of its request.
//     "payload"   map: the message's own members, defined per message type (messages.h).
//     "sender"    text string of at most kMaxSenderBytes bytes: the sender's peer id; empty for
//                 a client that is not a peer.
//     "type"      text string of 1..kMaxTypeBytes bytes from [a-z0-9._-]: the message type.
//     "version"   unsigned integer (32-bit): the protocol version, kProtocolVersion.
//   The whole message is at most kMaxEnvelopeBytes bytes and, like every codec value, nests at
//   most 256 containers deep counting the envelope map, so a payload nests at most 255 deep.
//
// Versioning
//   A decoder reads "version" before anything else and refuses every version it does not speak
//   (Incompatible, naming the version), so a later version may change every other member. Within
//   one version the envelope's members are fixed: an unknown or missing member is an error.
//   Adding a message type needs no new version (an older node answers "unknown message type");
//   adding a member to a payload needs none either, because payload readers ignore members they
//   do not know. Anything else (removing or retyping a member, changing a meaning) is a new
//   version.
#pragma once

#include <cstddef>
#include <cstdint>

namespace optimystic::cluster::wire::format {

inline constexpr uint32_t kProtocolVersion = 1;

// The largest message a node accepts or sends; the transports' default maximum message size.
inline constexpr size_t kMaxEnvelopeBytes = size_t{16} << 20;  // 16 MiB
inline constexpr size_t kMaxTypeBytes = 64;
inline constexpr size_t kMaxSenderBytes = 256;
// The deepest payload: the codec's limit (256) less the envelope map itself.
inline constexpr size_t kMaxPayloadDepth = 255;
// An error reply's message is cut to this many bytes (at a UTF-8 boundary), so that a reply to
// a hostile request stays small.
inline constexpr size_t kMaxErrorMessageBytes = 1024;

inline constexpr const char* kDeadlineKey = "deadline";
inline constexpr const char* kIdKey = "id";
inline constexpr const char* kPayloadKey = "payload";
inline constexpr const char* kSenderKey = "sender";
inline constexpr const char* kTypeKey = "type";
inline constexpr const char* kVersionKey = "version";

}  // namespace optimystic::cluster::wire::format
