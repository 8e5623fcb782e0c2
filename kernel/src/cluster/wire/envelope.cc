// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/envelope.h"

#include <optimystic/block/codec.h>

#include <limits>
#include <utility>
#include <vector>

#include "cluster/wire/wire_text.h"

namespace optimystic::cluster::wire {

namespace {

using block::Value;

constexpr size_t kQuotedKeyBytes = 64;  // how much of an unexpected key an error quotes

Status FieldError(std::string_view field, std::string_view reason) {
  return Status::InvalidArgument("envelope field '" + std::string(field) +
                                 "': " + std::string(reason));
}

// Whether a container in `v` (itself at depth 1) nests deeper than `limit`. Iterative, so that
// it is safe on any value, and it stops at the first container past the limit.
bool NestsDeeperThan(const Value& v, size_t limit) {
  std::vector<std::pair<const Value*, size_t>> pending = {{&v, 1}};
  while (!pending.empty()) {
    auto [value, depth] = pending.back();
    pending.pop_back();
    if (!value->is_structured()) {
      continue;
    }
    if (depth > limit) {
      return true;
    }
    for (const Value& child : *value) {
      if (child.is_structured()) {
        pending.emplace_back(&child, depth + 1);
      }
    }
  }
  return false;
}

// An unsigned integer member at most `max`, as the codec reads it back (non-negative integers
// decode as unsigned; an in-memory Value may hold them as signed).
Result<uint64_t> UnsignedField(const Value& v, std::string_view field, uint64_t max,
                               std::string_view expected) {
  uint64_t x = 0;
  if (const auto* u = v.get_ptr<const uint64_t*>(); u != nullptr) {
    x = *u;
  } else if (const auto* i = v.get_ptr<const int64_t*>(); i != nullptr && *i >= 0) {
    x = static_cast<uint64_t>(*i);
  } else {
    return FieldError(
        field, "expected " + std::string(expected) + ", found " + std::string(v.type_name()));
  }
  if (x > max) {
    return FieldError(field, "expected " + std::string(expected) + ", found " + std::to_string(x));
  }
  return x;
}

Result<const Value*> Member(const Value& map, const char* key) {
  auto it = map.find(key);
  if (it == map.end()) {
    return FieldError(key, "missing");
  }
  return &*it;
}

Status CheckKnownMembers(const Value& map) {
  static constexpr const char* kKeys[] = {format::kDeadlineKey, format::kIdKey,
                                          format::kPayloadKey,  format::kSenderKey,
                                          format::kTypeKey,     format::kVersionKey};
  for (auto it = map.begin(); it != map.end(); ++it) {
    bool known = false;
    for (const char* key : kKeys) {
      known = known || it.key() == key;
    }
    if (!known) {
      return FieldError(BoundedText(it.key(), kQuotedKeyBytes), "unexpected");
    }
  }
  return Status::Ok();
}

Result<uint32_t> ParseVersion(const Value& map) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value* v, Member(map, format::kVersionKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      uint64_t version, UnsignedField(*v, format::kVersionKey, std::numeric_limits<uint32_t>::max(),
                                      "an unsigned 32-bit integer"));
  if (version != format::kProtocolVersion) {
    return Status::Incompatible("envelope: unsupported protocol version " +
                                std::to_string(version) + " (this node speaks " +
                                std::to_string(format::kProtocolVersion) + ")");
  }
  return static_cast<uint32_t>(version);
}

bool IsTypeCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

Result<MessageType> ParseType(const Value& map) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value* v, Member(map, format::kTypeKey));
  const auto* name = v->get_ptr<const std::string*>();
  if (name == nullptr) {
    return FieldError(format::kTypeKey,
                      "expected a text string, found " + std::string(v->type_name()));
  }
  if (name->empty() || name->size() > format::kMaxTypeBytes) {
    return FieldError(format::kTypeKey, "expected 1 to " + std::to_string(format::kMaxTypeBytes) +
                                            " bytes, found " + std::to_string(name->size()));
  }
  for (char c : *name) {
    if (!IsTypeCharacter(c)) {
      return FieldError(format::kTypeKey, "'" + BoundedText(*name, kQuotedKeyBytes) +
                                              "' has a character outside [a-z0-9._-]");
    }
  }
  std::optional<MessageType> type = ParseMessageType(*name);
  if (!type) {
    return Status::NotSupported("envelope: unknown message type '" + *name + "'");
  }
  return *type;
}

Result<std::string> ParseSender(const Value& map) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value* v, Member(map, format::kSenderKey));
  const auto* sender = v->get_ptr<const std::string*>();
  if (sender == nullptr) {
    return FieldError(format::kSenderKey,
                      "expected a text string, found " + std::string(v->type_name()));
  }
  if (sender->size() > format::kMaxSenderBytes) {
    return FieldError(format::kSenderKey,
                      "longer than " + std::to_string(format::kMaxSenderBytes) + " bytes");
  }
  return *sender;
}

// Moves the payload out of `map`, which is not needed afterwards but for its id and deadline.
Result<Envelope> ParseEnvelope(Value& map) {
  if (!map.is_object()) {
    return Status::InvalidArgument("envelope: expected a map, found " +
                                   std::string(map.type_name()));
  }
  Envelope e;
  OPTIMYSTIC_ASSIGN_OR_RETURN(e.version, ParseVersion(map));
  OPTIMYSTIC_RETURN_IF_ERROR(CheckKnownMembers(map));
  OPTIMYSTIC_ASSIGN_OR_RETURN(e.type, ParseType(map));
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value* id, Member(map, format::kIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      e.request_id, UnsignedField(*id, format::kIdKey, std::numeric_limits<uint64_t>::max(),
                                  "an unsigned 64-bit integer"));
  OPTIMYSTIC_ASSIGN_OR_RETURN(e.sender, ParseSender(map));
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value* deadline, Member(map, format::kDeadlineKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      uint64_t deadline_unix_ms,
      UnsignedField(*deadline, format::kDeadlineKey, std::numeric_limits<int64_t>::max(),
                    "an unsigned integer of at most 2^63-1"));
  e.deadline_unix_ms = static_cast<int64_t>(deadline_unix_ms);
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value* payload, Member(map, format::kPayloadKey));
  if (!payload->is_object()) {
    return FieldError(format::kPayloadKey,
                      "expected a map, found " + std::string(payload->type_name()));
  }
  e.payload = std::move(map[format::kPayloadKey]);
  return e;
}

// The unsigned member `key` of `v` when there is one that fits `max`; otherwise 0.
uint64_t ReadableUnsigned(const Value& v, const char* key, uint64_t max) {
  if (!v.is_object()) {
    return 0;
  }
  auto it = v.find(key);
  if (it == v.end()) {
    return 0;
  }
  Result<uint64_t> x = UnsignedField(*it, key, max, "");
  return x ? *x : 0;
}

Status TooLarge(size_t size_bytes, size_t max_bytes) {
  return Status::InvalidArgument("envelope: " + std::to_string(size_bytes) +
                                 " bytes exceed the limit of " + std::to_string(max_bytes));
}

}  // namespace

bool operator==(const Envelope& a, const Envelope& b) noexcept {
  return a.version == b.version && a.type == b.type && a.request_id == b.request_id &&
         a.sender == b.sender && a.deadline_unix_ms == b.deadline_unix_ms && a.payload == b.payload;
}

Result<std::string> EncodeEnvelope(const Envelope& e, size_t max_bytes) noexcept {
  if (e.sender.size() > format::kMaxSenderBytes || !IsValidUtf8(e.sender)) {
    return FieldError(format::kSenderKey,
                      "not UTF-8 of at most " + std::to_string(format::kMaxSenderBytes) + " bytes");
  }
  if (e.deadline_unix_ms < 0) {
    return FieldError(format::kDeadlineKey, "negative");
  }
  if (!e.payload.is_object()) {
    return FieldError(format::kPayloadKey,
                      "expected a map, found " + std::string(e.payload.type_name()));
  }
  if (NestsDeeperThan(e.payload, format::kMaxPayloadDepth)) {
    return FieldError(format::kPayloadKey,
                      "nests deeper than " + std::to_string(format::kMaxPayloadDepth));
  }
  Value map = Value::object();
  map[format::kDeadlineKey] = static_cast<uint64_t>(e.deadline_unix_ms);
  map[format::kIdKey] = e.request_id;
  map[format::kPayloadKey] = e.payload;
  map[format::kSenderKey] = e.sender;
  map[format::kTypeKey] = std::string(MessageTypeName(e.type));
  map[format::kVersionKey] = static_cast<uint64_t>(e.version);
  std::string bytes = block::EncodeValue(map);
  if (bytes.size() > max_bytes) {
    return TooLarge(bytes.size(), max_bytes);
  }
  return bytes;
}

Result<Envelope> DecodeEnvelope(std::string_view bytes, size_t max_bytes) noexcept {
  return DecodeEnvelopeForReply(bytes, max_bytes).envelope;
}

DecodeOutcome DecodeEnvelopeForReply(std::string_view bytes, size_t max_bytes) noexcept {
  if (bytes.size() > max_bytes) {
    return DecodeOutcome{TooLarge(bytes.size(), max_bytes)};
  }
  Result<Value> value = block::DecodeValue(bytes);
  if (!value) {
    return DecodeOutcome{Status::Corruption("envelope: " + std::string(value.error().message()))};
  }
  return DecodeOutcome{
      ParseEnvelope(*value),
      ReadableUnsigned(*value, format::kIdKey, std::numeric_limits<uint64_t>::max()),
      static_cast<int64_t>(
          ReadableUnsigned(*value, format::kDeadlineKey, std::numeric_limits<int64_t>::max()))};
}

}  // namespace optimystic::cluster::wire
