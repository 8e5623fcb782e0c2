// SPDX-License-Identifier: Apache-2.0
// The tcp transport's frame, the unit carried on every connection (plain or inside TLS). A
// frame is a 14-byte header followed by its payload:
//   magic       1 byte   0xB7 (not ASCII, so text sent to the port is refused at once)
//   kind        1 byte   1 = request, 2 = reply, 3 = error reply
//   request id  8 bytes  unsigned, big-endian; chosen by the client, unique per connection,
//                        echoed by the server in the reply or error reply
//   length      4 bytes  unsigned, big-endian; payload bytes that follow (header excluded)
//   payload     `length` bytes
// An error reply's payload is the status code (1 byte, a StatusCode other than kOk) followed by
// the message (the rest of the payload, UTF-8). Requests go client to server only, replies and
// error replies server to client only; any other frame is a protocol error and the receiver
// drops the connection. A frame whose length is over the receiver's max_message_bytes is not
// read into memory: its payload is skipped, and a server answers it with an error reply.
// Thread-safety: pure functions. Errors: DecodeFrameHeader and DecodeErrorPayload return
// Corruption naming the bad field; every byte string is either decoded or refused.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace optimystic::plugins::transport_tcp {

inline constexpr uint8_t kFrameMagic = 0xB7;
inline constexpr size_t kFrameHeaderBytes = 14;

enum class FrameKind : uint8_t { kRequest = 1, kReply = 2, kError = 3 };

struct FrameHeader {
  FrameKind kind = FrameKind::kRequest;
  uint64_t request_id = 0;
  uint32_t length = 0;
};

using FrameHeaderBytes = std::array<uint8_t, kFrameHeaderBytes>;

inline FrameHeaderBytes EncodeFrameHeader(const FrameHeader& header) noexcept {
  FrameHeaderBytes out{};
  out[0] = kFrameMagic;
  out[1] = static_cast<uint8_t>(header.kind);
  for (size_t i = 0; i < 8; ++i) {
    out[2 + i] = static_cast<uint8_t>(header.request_id >> (56 - 8 * i));
  }
  for (size_t i = 0; i < 4; ++i) {
    out[10 + i] = static_cast<uint8_t>(header.length >> (24 - 8 * i));
  }
  return out;
}

// The whole frame (header and payload) as one string, ready to be written.
// REQUIRES: payload.size() fits in 32 bits (callers check max_message_bytes first).
inline std::string EncodeFrame(FrameKind kind, uint64_t request_id, std::string_view payload) {
  const FrameHeaderBytes header =
      EncodeFrameHeader({kind, request_id, static_cast<uint32_t>(payload.size())});
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size());
  frame.append(reinterpret_cast<const char*>(header.data()), header.size());
  frame.append(payload);
  return frame;
}

inline Result<FrameHeader> DecodeFrameHeader(const FrameHeaderBytes& in) {
  if (in[0] != kFrameMagic) {
    char magic[8];
    std::snprintf(magic, sizeof(magic), "0x%02x", in[0]);
    return Status::Corruption(std::string("bad frame magic ") + magic + " (expected 0xb7)");
  }
  if (in[1] < static_cast<uint8_t>(FrameKind::kRequest) ||
      in[1] > static_cast<uint8_t>(FrameKind::kError)) {
    return Status::Corruption("unknown frame kind " + std::to_string(in[1]));
  }
  FrameHeader header;
  header.kind = static_cast<FrameKind>(in[1]);
  for (size_t i = 0; i < 8; ++i) {
    header.request_id = (header.request_id << 8) | in[2 + i];
  }
  for (size_t i = 0; i < 4; ++i) {
    header.length = (header.length << 8) | in[10 + i];
  }
  return header;
}

// The payload of an error reply carrying `error`. REQUIRES: !error.ok().
inline std::string EncodeErrorPayload(const Status& error) {
  std::string payload(1, static_cast<char>(error.code()));
  payload.append(error.message());
  return payload;
}

// The status an error reply carries; Corruption when the code is missing, OK or unknown.
inline Status DecodeErrorPayload(std::string_view payload) {
  if (payload.empty()) {
    return Status::Corruption("empty error reply");
  }
  const auto code = static_cast<uint8_t>(payload[0]);
  if (code == static_cast<uint8_t>(StatusCode::kOk) ||
      code > static_cast<uint8_t>(StatusCode::kInternal)) {
    return Status::Corruption("error reply with unknown status code " + std::to_string(code));
  }
  return Status(static_cast<StatusCode>(code), payload.substr(1));
}

}  // namespace optimystic::plugins::transport_tcp
