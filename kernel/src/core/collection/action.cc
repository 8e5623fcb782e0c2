// SPDX-License-Identifier: Apache-2.0
#include <optimystic/collections/action.h>

#include <cstdint>
#include <string>
#include <utility>

namespace optimystic::collections {
namespace {

using block::Value;

constexpr const char kType[] = "type";
constexpr const char kData[] = "data";
constexpr const char kTransaction[] = "transaction";
constexpr const char kTimestamp[] = "timestamp";

Status Invalid(std::string_view member, std::string_view expected) {
  return Status::InvalidArgument("action: " + std::string(member) + ": expected " +
                                 std::string(expected));
}

}  // namespace

Value ActionToValue(const Action& action) {
  Value out = Value::object();
  out[kType] = action.type;
  out[kData] = action.data;
  if (action.transaction.has_value()) {
    out[kTransaction] = *action.transaction;
  }
  if (action.timestamp_ms != 0) {  // 0 means unknown: left out
    out[kTimestamp] = action.timestamp_ms;
  }
  return out;
}

Result<Action> ActionFromValue(const Value& value) {
  if (!value.is_object()) {
    return Status::InvalidArgument("action: expected an object");
  }
  Action out;
  auto type = value.find(kType);
  const std::string* text = type != value.end() ? type->get_ptr<const std::string*>() : nullptr;
  if (text == nullptr || text->empty()) {
    return Invalid(kType, "a non-empty string");
  }
  out.type = *text;
  // An action without data (e.g. a parameterless one) carries null.
  if (auto data = value.find(kData); data != value.end()) {
    out.data = *data;
  }
  if (auto transaction = value.find(kTransaction);
      transaction != value.end() && !transaction->is_null()) {
    const std::string* id = transaction->get_ptr<const std::string*>();
    if (id == nullptr) {
      return Invalid(kTransaction, "a string");
    }
    out.transaction = *id;
  }
  if (auto timestamp = value.find(kTimestamp); timestamp != value.end()) {
    if (const int64_t* ms = timestamp->get_ptr<const int64_t*>()) {
      out.timestamp_ms = *ms;
    } else if (const uint64_t* ums = timestamp->get_ptr<const uint64_t*>();
               ums != nullptr && *ums <= static_cast<uint64_t>(INT64_MAX)) {
      out.timestamp_ms = static_cast<int64_t>(*ums);
    } else {
      return Invalid(kTimestamp, "an integer (milliseconds)");
    }
  }
  return out;
}

}  // namespace optimystic::collections
