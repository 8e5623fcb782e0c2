// SPDX-License-Identifier: Apache-2.0
// Typed members of a wire payload, shared by the payload readers (messages.cc,
// repo_messages.cc). A PayloadPath says where a value sits: the message's wire name and the path
// from the payload's top ("" for the payload itself, "request.reads[2]" for an element of an
// array nested in it), so that every refusal names both, as "<message> payload member '<path>':
// <reason>", or "<message> payload: <reason>" for the payload itself. A reader looks up only the
// members it asks for, so members it does not know are ignored.
// Thread-safety: value types and pure functions.
// Errors: InvalidArgument, worded as above.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/block/value.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optimystic::cluster::wire {

// InvalidArgument "<message> payload member '<member>': <reason>".
Status MemberError(std::string_view message, std::string_view member, std::string_view reason);

class PayloadPath {
 public:
  // The payload of the message named `message`, which must outlive the path (it is always a
  // literal). Implicit, so that a reader of a flat payload passes just its message's name.
  PayloadPath(const char* message) noexcept : message_(message) {}       // NOLINT
  PayloadPath(std::string_view message) noexcept : message_(message) {}  // NOLINT

  // The member `key` of the map at this path.
  PayloadPath Member(std::string_view key) const;
  // The element `index` of the array at this path.
  PayloadPath Element(size_t index) const;

  std::string_view message() const noexcept { return message_; }
  const std::string& path() const noexcept { return path_; }  // "" for the payload itself

  // InvalidArgument naming the message and this path, as the file comment says.
  Status Error(std::string_view reason) const;

 private:
  PayloadPath(std::string_view message, std::string path) noexcept
      : message_(message), path_(std::move(path)) {}

  std::string_view message_;
  std::string path_;
};

// OK when `value`, found at `at`, is a map. The payload itself is refused as "<message> payload:
// expected a map"; a nested value also names the type found.
Status ExpectMap(const block::Value& value, const PayloadPath& at);

// The member `key` of `map`; nullptr when it is absent or `map` is not a map.
const block::Value* FindMember(const block::Value& map, const char* key) noexcept;

// `value`, found at `at`, as one type, or an error naming `at` and the expected type.
Result<std::string> TextAt(const block::Value& value, const PayloadPath& at);
Result<std::string> NonEmptyTextAt(const block::Value& value, const PayloadPath& at);
Result<uint32_t> Uint32At(const block::Value& value, const PayloadPath& at);
Result<uint64_t> Uint64At(const block::Value& value, const PayloadPath& at);
Result<bool> BoolAt(const block::Value& value, const PayloadPath& at);
// OK when `value` is an array of at most `max` elements.
Status ArrayAt(const block::Value& value, const PayloadPath& at, size_t max);

// The member `key` of the map at `at`, read by `read(value, path)`; "missing" when absent.
template <typename T, typename Read>
Result<T> RequiredMember(const block::Value& map, const PayloadPath& at, const char* key,
                         Read read) {
  const PayloadPath member = at.Member(key);
  const block::Value* value = FindMember(map, key);
  if (value == nullptr) {
    return member.Error("missing");
  }
  return read(*value, member);
}

// Like RequiredMember, but nullopt when the member is absent.
template <typename T, typename Read>
Result<std::optional<T>> OptionalMember(const block::Value& map, const PayloadPath& at,
                                        const char* key, Read read) {
  const block::Value* value = FindMember(map, key);
  if (value == nullptr) {
    return std::optional<T>();
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(T out, read(*value, at.Member(key)));
  return std::optional<T>(std::move(out));
}

// Members of the map at `at` (a payload or a nested map), refused when it is not a map or the
// member is missing or mistyped.
Result<std::string> TextMember(const block::Value& map, const PayloadPath& at, const char* key);
Result<std::string> NonEmptyTextMember(const block::Value& map, const PayloadPath& at,
                                       const char* key);
Result<uint32_t> Uint32Member(const block::Value& map, const PayloadPath& at, const char* key);
Result<uint64_t> Uint64Member(const block::Value& map, const PayloadPath& at, const char* key);
Result<bool> BoolMember(const block::Value& map, const PayloadPath& at, const char* key);
// A boolean member that reads as false when absent.
Result<bool> OptionalBoolMember(const block::Value& map, const PayloadPath& at, const char* key);
// A member of any type; `fallback` when it is absent, or "missing" when there is none.
Result<block::Value> AnyMember(const block::Value& map, const PayloadPath& at, const char* key,
                               const block::Value* fallback = nullptr);
// An array of text strings with at most `max` elements (at least one when `non_empty`).
Result<std::vector<std::string>> TextArrayMember(const block::Value& map, const PayloadPath& at,
                                                 const char* key, bool non_empty, size_t max);

// `texts` as an array of text strings.
block::Value TextArray(const std::vector<std::string>& texts);

// OK when `payload` is a map (whatever it holds): the payload check of a message without members.
Status EmptyMap(const block::Value& payload, std::string_view message);

}  // namespace optimystic::cluster::wire
