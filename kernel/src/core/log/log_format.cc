// SPDX-License-Identifier: Apache-2.0
#include "core/log/log_format.h"

#include <optimystic/log/log.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::log {
namespace {

using block::Value;

std::string Name(std::string_view member) { return std::string(member); }

Status Malformed(std::string_view member, std::string_view expected) {
  return Status::Corruption(std::string(member) + ": expected " + std::string(expected));
}

// The member `member` of object `value`, or nullptr when absent.
const Value* Find(const Value& value, std::string_view member) {
  auto it = value.find(member);
  return it == value.end() ? nullptr : &*it;
}

Status RequireObject(const Value& value, std::string_view what) {
  if (!value.is_object()) {
    return Status::Corruption(std::string(what) + ": expected an object");
  }
  return Status::Ok();
}

Result<uint64_t> ReadUnsigned(const Value& value, std::string_view member) {
  const Value* field = Find(value, member);
  if (field != nullptr) {
    if (const uint64_t* u = field->get_ptr<const uint64_t*>()) {
      return *u;
    }
    if (const int64_t* i = field->get_ptr<const int64_t*>(); i != nullptr && *i >= 0) {
      return static_cast<uint64_t>(*i);
    }
  }
  return Malformed(member, "an unsigned integer");
}

Result<int64_t> ReadSigned(const Value& value, std::string_view member) {
  const Value* field = Find(value, member);
  if (field != nullptr) {
    if (const int64_t* i = field->get_ptr<const int64_t*>()) {
      return *i;
    }
    if (const uint64_t* u = field->get_ptr<const uint64_t*>();
        u != nullptr && *u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(*u);
    }
  }
  return Malformed(member, "an integer");
}

Result<std::string> ReadText(const Value& value, std::string_view member) {
  const Value* field = Find(value, member);
  const std::string* text = field != nullptr ? field->get_ptr<const std::string*>() : nullptr;
  if (text == nullptr || text->empty()) {
    return Malformed(member, "a non-empty string");
  }
  return *text;
}

// The array member `member`; an empty array when absent and `optional`.
Result<const Value::array_t*> ReadArray(const Value& value, std::string_view member,
                                        bool optional) {
  static const Value::array_t kEmpty;
  const Value* field = Find(value, member);
  if (field == nullptr && optional) {
    return &kEmpty;
  }
  const Value::array_t* array =
      field != nullptr ? field->get_ptr<const Value::array_t*>() : nullptr;
  if (array == nullptr) {
    return Malformed(member, "an array");
  }
  return array;
}

Result<std::vector<std::string>> ReadTexts(const Value& value, std::string_view member,
                                           bool optional) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value::array_t* array, ReadArray(value, member, optional));
  std::vector<std::string> out;
  out.reserve(array->size());
  for (const Value& item : *array) {
    const std::string* text = item.get_ptr<const std::string*>();
    if (text == nullptr || text->empty()) {
      return Malformed(Name(member) + "[" + std::to_string(out.size()) + "]", "a non-empty string");
    }
    out.push_back(*text);
  }
  return out;
}

Value Texts(const std::vector<std::string>& texts) {
  Value out = Value::array();
  for (const std::string& text : texts) {
    out.push_back(text);
  }
  return out;
}

Value ActionEntryToValue(const ActionEntry& action) {
  Value out = Value::object();
  out[Name(kActionIdMember)] = action.action_id;
  out[Name(kActionsMember)] = Value::array();
  for (const Value& a : action.actions) {
    out[Name(kActionsMember)].push_back(a);
  }
  out[Name(kBlockIdsMember)] = Texts(action.block_ids);
  if (!action.collection_ids.empty()) {
    out[Name(kCollectionIdsMember)] = Texts(action.collection_ids);
  }
  if (action.reads.has_value()) {
    Value reads = Value::array();
    for (const ReadDependency& read : *action.reads) {
      reads.push_back(ReadDependencyToValue(read));
    }
    out[Name(kReadsMember)] = std::move(reads);
  }
  return out;
}

Result<ActionEntry> ActionEntryFromValue(const Value& value) {
  OPTIMYSTIC_RETURN_IF_ERROR(RequireObject(value, kActionMember));
  ActionEntry out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.action_id, ReadText(value, kActionIdMember));
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value::array_t* actions,
                              ReadArray(value, kActionsMember, false));
  out.actions.assign(actions->begin(), actions->end());
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.block_ids, ReadTexts(value, kBlockIdsMember, false));
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.collection_ids, ReadTexts(value, kCollectionIdsMember, true));
  if (Find(value, kReadsMember) != nullptr) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(const Value::array_t* reads, ReadArray(value, kReadsMember, false));
    std::vector<ReadDependency> decoded;
    decoded.reserve(reads->size());
    for (const Value& read : *reads) {
      Result<ReadDependency> one = ReadDependencyFromValue(read);
      if (!one) {
        return one.error().WithContext(Name(kReadsMember) + "[" + std::to_string(decoded.size()) +
                                       "]");
      }
      decoded.push_back(std::move(*one));
    }
    out.reads = std::move(decoded);
  }
  return out;
}

Value CheckpointToValue(const CheckpointEntry& checkpoint) {
  Value pendings = Value::array();
  for (const transactor::ActionRev& rev : checkpoint.pendings) {
    pendings.push_back(ActionRevToValue(rev));
  }
  Value out = Value::object();
  out[Name(kPendingsMember)] = std::move(pendings);
  return out;
}

Result<CheckpointEntry> CheckpointFromValue(const Value& value) {
  OPTIMYSTIC_RETURN_IF_ERROR(RequireObject(value, kCheckpointMember));
  OPTIMYSTIC_ASSIGN_OR_RETURN(const Value::array_t* pendings,
                              ReadArray(value, kPendingsMember, false));
  CheckpointEntry out;
  out.pendings.reserve(pendings->size());
  for (const Value& pending : *pendings) {
    Result<transactor::ActionRev> one = ActionRevFromValue(pending);
    if (!one) {
      return one.error().WithContext(Name(kPendingsMember) + "[" +
                                     std::to_string(out.pendings.size()) + "]");
    }
    out.pendings.push_back(std::move(*one));
  }
  return out;
}

}  // namespace

Value ActionRevToValue(const transactor::ActionRev& rev) {
  Value out = Value::object();
  out[Name(kActionIdMember)] = rev.action_id;
  out[Name(kRevMember)] = rev.rev;
  return out;
}

Result<transactor::ActionRev> ActionRevFromValue(const Value& value) {
  OPTIMYSTIC_RETURN_IF_ERROR(RequireObject(value, "action rev"));
  transactor::ActionRev out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.action_id, ReadText(value, kActionIdMember));
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.rev, ReadUnsigned(value, kRevMember));
  return out;
}

Value ReadDependencyToValue(const transactor::ReadDependency& read) {
  Value out = Value::object();
  out[Name(kBlockIdMember)] = read.block_id;
  out[Name(kRevisionMember)] = read.revision;
  return out;
}

Result<transactor::ReadDependency> ReadDependencyFromValue(const Value& value) {
  OPTIMYSTIC_RETURN_IF_ERROR(RequireObject(value, "read dependency"));
  transactor::ReadDependency out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.block_id, ReadText(value, kBlockIdMember));
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.revision, ReadUnsigned(value, kRevisionMember));
  return out;
}

Value LogEntryToValue(const LogEntry& entry) {
  Value out = Value::object();
  out[Name(kTimestampMember)] = entry.timestamp_ms;
  out[Name(kRevMember)] = entry.rev;
  if (entry.action.has_value()) {
    out[Name(kActionMember)] = ActionEntryToValue(*entry.action);
  }
  if (entry.checkpoint.has_value()) {
    out[Name(kCheckpointMember)] = CheckpointToValue(*entry.checkpoint);
  }
  return out;
}

Result<LogEntry> LogEntryFromValue(const Value& value) {
  OPTIMYSTIC_RETURN_IF_ERROR(RequireObject(value, "log entry"));
  LogEntry out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.timestamp_ms, ReadSigned(value, kTimestampMember));
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.rev, ReadUnsigned(value, kRevMember));
  const Value* action = Find(value, kActionMember);
  const Value* checkpoint = Find(value, kCheckpointMember);
  if ((action == nullptr) == (checkpoint == nullptr)) {
    return Status::Corruption("log entry: expected exactly one of action, checkpoint");
  }
  if (action != nullptr) {
    Result<ActionEntry> decoded = ActionEntryFromValue(*action);
    if (!decoded) {
      return decoded.error().WithContext(kActionMember);
    }
    out.action = std::move(*decoded);
  } else {
    Result<CheckpointEntry> decoded = CheckpointFromValue(*checkpoint);
    if (!decoded) {
      return decoded.error().WithContext(kCheckpointMember);
    }
    out.checkpoint = std::move(*decoded);
  }
  return out;
}

}  // namespace optimystic::log
