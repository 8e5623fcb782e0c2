// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/messages.h"

#include <limits>
#include <optional>
#include <string_view>

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

constexpr StatusCode kLastCode = StatusCode::kInternal;

Status MemberError(std::string_view message, std::string_view member, std::string_view reason) {
  return Status::InvalidArgument(std::string(message) + " payload member '" + std::string(member) +
                                 "': " + std::string(reason));
}

Result<std::string> TextMember(const Value& payload, std::string_view message, const char* key) {
  if (!payload.is_object()) {
    return Status::InvalidArgument(std::string(message) + " payload: expected a map");
  }
  auto it = payload.find(key);
  if (it == payload.end()) {
    return MemberError(message, key, "missing");
  }
  const auto* text = it->get_ptr<const std::string*>();
  if (text == nullptr) {
    return MemberError(message, key,
                       "expected a text string, found " + std::string(it->type_name()));
  }
  return *text;
}

Result<uint32_t> Uint32Member(const Value& payload, std::string_view message, const char* key) {
  auto it = payload.find(key);
  if (it == payload.end()) {
    return MemberError(message, key, "missing");
  }
  const auto* u = it->get_ptr<const uint64_t*>();
  const auto* i = it->get_ptr<const int64_t*>();
  if (u != nullptr && *u <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(*u);
  }
  if (i != nullptr && *i >= 0 && *i <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(*i);
  }
  return MemberError(message, key, "expected an unsigned 32-bit integer");
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

}  // namespace optimystic::cluster::wire
