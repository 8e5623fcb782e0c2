// SPDX-License-Identifier: Apache-2.0
#include "collections/diary/diary_collection_type.h"

#include <optimystic/block/block.h>
#include <optimystic/btree/traits.h>

#include <string>

namespace optimystic::plugins::collection_diary {

namespace {

using block::Value;

struct ReadArgs {
  bool forward = true;
  uint64_t limit = 0;  // 0: all
};

Result<ReadArgs> ParseReadArgs(const Value& args) {
  ReadArgs out;
  if (args.is_null()) return out;
  if (!args.is_object()) return Status::InvalidArgument("diary read: args must be an object");
  for (const auto& [member, value] : args.items()) {
    if (value.is_null()) continue;
    if (member == "forward") {
      if (!value.is_boolean()) {
        return Status::InvalidArgument("diary read: forward must be a boolean");
      }
      out.forward = value.get<bool>();
    } else if (member == "limit") {
      // Non-negative integers may arrive signed or unsigned (see btree/traits.h).
      Result<uint64_t> limit = btree::ScalarFromValue<uint64_t>(value);
      if (!limit.has_value()) {
        return Status::InvalidArgument("diary read: limit must be a non-negative integer");
      }
      out.limit = *limit;
    } else {
      return Status::InvalidArgument("diary read: unknown argument '" + member +
                                     "' (known: forward, limit)");
    }
  }
  return out;
}

}  // namespace

std::string_view DiaryCollectionType::header_block_type() const noexcept {
  return block::kDiaryHeaderType;
}

Result<Value> DiaryCollectionType::CreateHeaderBlock(const block::BlockId& id,
                                                     block::BlockStore& store) const noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header,
                              store.CreateBlockHeader(std::string(block::kDiaryHeaderType), id));
  return block::MakeBlock(header);
}

Status DiaryCollectionType::ValidateAction(const collections::Action& action) const noexcept {
  if (action.type != kAppendAction) {
    return Status::InvalidArgument("diary: unknown action type '" + action.type +
                                   "' (known: append)");
  }
  return Status::Ok();  // any JSON value is a diary entry
}

Status DiaryCollectionType::ApplyAction(const collections::Action& action, const block::BlockId&,
                                        block::BlockStore&) const noexcept {
  return ValidateAction(action);
}

Result<Value> DiaryCollectionType::Query(std::string_view name, const Value& args,
                                         collections::CollectionReader& reader) const noexcept {
  if (name != "read") {
    return Status::NotFound("diary: unknown query '" + std::string(name) + "' (known: read)");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(ReadArgs read, ParseReadArgs(args));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<collections::Action> actions,
                              reader.SelectLog(read.forward, static_cast<size_t>(read.limit)));
  Value out = Value::array();
  for (collections::Action& action : actions) {
    // Only appends are diary entries; a log never holds anything else for a diary, but a
    // reader must not turn a foreign action into an entry.
    if (action.type == kAppendAction) out.push_back(std::move(action.data));
  }
  return out;
}

}  // namespace optimystic::plugins::collection_diary
