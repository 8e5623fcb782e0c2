// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/payload_members.h"

#include <limits>

namespace optimystic::cluster::wire {

using block::Value;

Status MemberError(std::string_view message, std::string_view member, std::string_view reason) {
  return Status::InvalidArgument(std::string(message) + " payload member '" + std::string(member) +
                                 "': " + std::string(reason));
}

PayloadPath PayloadPath::Member(std::string_view key) const {
  if (path_.empty()) {
    return PayloadPath(message_, std::string(key));
  }
  return PayloadPath(message_, path_ + "." + std::string(key));
}

PayloadPath PayloadPath::Element(size_t index) const {
  return PayloadPath(message_, path_ + "[" + std::to_string(index) + "]");
}

Status PayloadPath::Error(std::string_view reason) const {
  if (path_.empty()) {
    return Status::InvalidArgument(std::string(message_) + " payload: " + std::string(reason));
  }
  return MemberError(message_, path_, reason);
}

Status ExpectMap(const Value& value, const PayloadPath& at) {
  if (value.is_object()) {
    return Status::Ok();
  }
  if (at.path().empty()) {
    return at.Error("expected a map");
  }
  return at.Error("expected a map, found " + std::string(value.type_name()));
}

const Value* FindMember(const Value& map, const char* key) noexcept {
  if (!map.is_object()) {
    return nullptr;
  }
  auto it = map.find(key);
  return it == map.end() ? nullptr : &*it;
}

Result<std::string> TextAt(const Value& value, const PayloadPath& at) {
  const auto* text = value.get_ptr<const std::string*>();
  if (text == nullptr) {
    return at.Error("expected a text string, found " + std::string(value.type_name()));
  }
  return *text;
}

Result<std::string> NonEmptyTextAt(const Value& value, const PayloadPath& at) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string text, TextAt(value, at));
  if (text.empty()) {
    return at.Error("empty");
  }
  return text;
}

Result<uint32_t> Uint32At(const Value& value, const PayloadPath& at) {
  const auto* u = value.get_ptr<const uint64_t*>();
  const auto* i = value.get_ptr<const int64_t*>();
  if (u != nullptr && *u <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(*u);
  }
  if (i != nullptr && *i >= 0 && *i <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(*i);
  }
  return at.Error("expected an unsigned 32-bit integer");
}

Result<uint64_t> Uint64At(const Value& value, const PayloadPath& at) {
  if (const auto* u = value.get_ptr<const uint64_t*>(); u != nullptr) {
    return *u;
  }
  if (const auto* i = value.get_ptr<const int64_t*>(); i != nullptr && *i >= 0) {
    return static_cast<uint64_t>(*i);
  }
  return at.Error("expected an unsigned 64-bit integer");
}

Result<bool> BoolAt(const Value& value, const PayloadPath& at) {
  if (!value.is_boolean()) {
    return at.Error("expected a boolean, found " + std::string(value.type_name()));
  }
  return value.get<bool>();
}

Status ArrayAt(const Value& value, const PayloadPath& at, size_t max) {
  if (!value.is_array()) {
    return at.Error("expected an array, found " + std::string(value.type_name()));
  }
  if (value.size() > max) {
    return at.Error(std::to_string(value.size()) + " elements exceed the limit of " +
                    std::to_string(max));
  }
  return Status::Ok();
}

Result<std::string> TextMember(const Value& map, const PayloadPath& at, const char* key) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(map, at));
  return RequiredMember<std::string>(map, at, key, TextAt);
}

Result<std::string> NonEmptyTextMember(const Value& map, const PayloadPath& at, const char* key) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(map, at));
  return RequiredMember<std::string>(map, at, key, NonEmptyTextAt);
}

Result<uint32_t> Uint32Member(const Value& map, const PayloadPath& at, const char* key) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(map, at));
  return RequiredMember<uint32_t>(map, at, key, Uint32At);
}

Result<uint64_t> Uint64Member(const Value& map, const PayloadPath& at, const char* key) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(map, at));
  return RequiredMember<uint64_t>(map, at, key, Uint64At);
}

Result<bool> BoolMember(const Value& map, const PayloadPath& at, const char* key) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(map, at));
  return RequiredMember<bool>(map, at, key, BoolAt);
}

Result<bool> OptionalBoolMember(const Value& map, const PayloadPath& at, const char* key) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(map, at));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<bool> value,
                              OptionalMember<bool>(map, at, key, BoolAt));
  return value.value_or(false);
}

Result<Value> AnyMember(const Value& map, const PayloadPath& at, const char* key,
                        const Value* fallback) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(map, at));
  const Value* value = FindMember(map, key);
  if (value != nullptr) {
    return *value;
  }
  if (fallback != nullptr) {
    return *fallback;
  }
  return at.Member(key).Error("missing");
}

Result<std::vector<std::string>> TextArrayMember(const Value& map, const PayloadPath& at,
                                                 const char* key, bool non_empty, size_t max) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(map, at));
  const PayloadPath member = at.Member(key);
  const Value* array = FindMember(map, key);
  if (array == nullptr) {
    return member.Error("missing");
  }
  if (non_empty && array->is_array() && array->empty()) {
    return member.Error("empty");
  }
  OPTIMYSTIC_RETURN_IF_ERROR(ArrayAt(*array, member, max));
  std::vector<std::string> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::string text, TextAt((*array)[i], member.Element(i)));
    out.push_back(std::move(text));
  }
  return out;
}

Value TextArray(const std::vector<std::string>& texts) {
  Value out = Value::array();
  for (const std::string& text : texts) {
    out.push_back(text);
  }
  return out;
}

Status EmptyMap(const Value& payload, std::string_view message) {
  return ExpectMap(payload, PayloadPath(message));
}

}  // namespace optimystic::cluster::wire
