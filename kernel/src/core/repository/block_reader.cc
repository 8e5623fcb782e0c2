// SPDX-License-Identifier: Apache-2.0
#include "core/repository/block_reader.h"

#include <optimystic/block/codec.h>

#include "core/repository/repository_format.h"

#include <string_view>
#include <utility>

namespace optimystic::core::repository {
namespace {

using transactor::ActionRev;

class CollectSink final : public storage::ScanSink {
 public:
  bool OnEntry(std::string_view key, std::string_view value) noexcept override {
    entries.emplace_back(std::string(key), std::string(value));
    return true;
  }
  std::vector<std::pair<std::string, std::string>> entries;
};

// The smallest key above `key`: keys up to and including `key` are below it.
std::string Successor(std::string key) {
  key.push_back('\0');
  return key;
}

}  // namespace

Status BlockReader::Corrupt(const std::string& key, std::string_view why) const {
  return Status::Corruption("block " + id_ + ": key " + PrintableKey(key) + ": " +
                            std::string(why));
}

Result<std::optional<std::string>> BlockReader::GetKey(const std::string& key) {
  Result<std::string> value = engine_.Get(key);
  if (value) {
    return std::optional<std::string>(std::move(*value));
  }
  if (value.error().code() == StatusCode::kNotFound) {
    return std::optional<std::string>();
  }
  return value.error().WithContext("block " + id_ + ": read " + PrintableKey(key));
}

Result<std::optional<BlockMeta>> BlockReader::LoadMeta() {
  const std::string key = keys_.Meta();
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<std::string> bytes, GetKey(key));
  if (!bytes) {
    return std::optional<BlockMeta>();
  }
  Result<BlockMeta> meta = DecodeBlockMeta(*bytes, block::DecodeMode::kTrusted);
  if (!meta) {
    return Corrupt(key, meta.error().message());
  }
  return std::optional<BlockMeta>(std::move(*meta));
}

Result<std::vector<transactor::ActionId>> BlockReader::ListPendings() {
  const std::string prefix = keys_.Tag(kPendingTag);
  CollectSink sink;
  OPTIMYSTIC_RETURN_IF_ERROR(engine_.Scan(storage::ScanRange::Prefix(prefix), sink)
                                 .WithContext("block " + id_ + ": list pending records"));
  std::vector<transactor::ActionId> ids;
  for (auto& [key, value] : sink.entries) {
    std::optional<std::string> action = ParseActionKey(key, prefix);
    if (!action || action->empty()) {
      return Corrupt(key, "malformed pending key");
    }
    ids.push_back(std::move(*action));
  }
  return ids;
}

Result<std::optional<TransformRecord>> BlockReader::LoadTransform(const std::string& key) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<std::string> bytes, GetKey(key));
  if (!bytes) {
    return std::optional<TransformRecord>();
  }
  Result<block::Transform> transform = block::DecodeTransform(*bytes, block::DecodeMode::kTrusted);
  if (!transform) {
    return Corrupt(key, transform.error().message());
  }
  return std::optional<TransformRecord>(TransformRecord{std::move(*transform), std::move(*bytes)});
}

Result<std::optional<block::Transform>> BlockReader::LoadTransformOnly(const std::string& key) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<TransformRecord> record, LoadTransform(key));
  if (!record) {
    return std::optional<block::Transform>();
  }
  return std::optional<block::Transform>(std::move(record->transform));
}

Result<std::optional<block::Transform>> BlockReader::LoadPending(
    const transactor::ActionId& action_id) {
  return LoadTransformOnly(keys_.Pending(action_id));
}

Result<std::optional<TransformRecord>> BlockReader::LoadPendingRecord(
    const transactor::ActionId& action_id) {
  return LoadTransform(keys_.Pending(action_id));
}

Result<std::optional<block::Transform>> BlockReader::LoadCommitted(
    const transactor::ActionId& action_id) {
  return LoadTransformOnly(keys_.Committed(action_id));
}

Result<bool> BlockReader::HasPending(const transactor::ActionId& action_id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<std::string> bytes, GetKey(keys_.Pending(action_id)));
  return bytes.has_value();
}

Result<bool> BlockReader::HasCommitted(const transactor::ActionId& action_id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<std::string> bytes, GetKey(keys_.Committed(action_id)));
  return bytes.has_value();
}

Result<block::Transform> BlockReader::RequireCommitted(const ActionRev& entry) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<block::Transform> transform,
                              LoadCommitted(entry.action_id));
  if (!transform) {
    return Corrupt(
        keys_.Committed(entry.action_id),
        "rev " + std::to_string(entry.rev) + " names an action with no committed record");
  }
  return std::move(*transform);
}

Result<std::vector<ActionRev>> BlockReader::ScanRevisions(const storage::ScanRange& range) {
  const std::string prefix = keys_.Tag(kRevisionTag);
  CollectSink sink;
  OPTIMYSTIC_RETURN_IF_ERROR(
      engine_.Scan(range, sink).WithContext("block " + id_ + ": scan revision index"));
  std::vector<ActionRev> revisions;
  revisions.reserve(sink.entries.size());
  for (auto& [key, value] : sink.entries) {
    std::optional<uint64_t> rev = ParseRevKey(key, prefix);
    if (!rev || *rev == 0) {
      return Corrupt(key, "malformed revision key");
    }
    if (value.empty()) {
      return Corrupt(key, "revision entry names no action");
    }
    revisions.push_back(ActionRev{std::move(value), *rev});
  }
  return revisions;
}

Result<std::vector<ActionRev>> BlockReader::ListRevisions(uint64_t from, uint64_t to) {
  if (from > to) {
    return std::vector<ActionRev>();
  }
  storage::ScanRange range;
  range.start = keys_.Revision(from);
  range.end = Successor(keys_.Revision(to));
  return ScanRevisions(range);
}

Result<std::vector<ActionRev>> BlockReader::RevisionsAtOrBelow(uint64_t upper, uint64_t limit) {
  storage::ScanRange range;
  range.start = keys_.Tag(kRevisionTag);
  range.end = Successor(keys_.Revision(upper));
  range.direction = storage::ScanDirection::kBackward;
  range.limit = limit;
  return ScanRevisions(range);
}

Result<std::optional<block::Value>> BlockReader::LoadMaterialized(uint64_t rev) {
  const std::string key = keys_.Materialized(rev);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<std::string> bytes, GetKey(key));
  if (!bytes) {
    return std::optional<block::Value>();
  }
  Result<block::Value> decoded = block::DecodeBlock(*bytes, block::DecodeMode::kTrusted);
  if (!decoded) {
    return Corrupt(key, decoded.error().message());
  }
  return std::optional<block::Value>(std::move(*decoded));
}

Result<MaterializedBlock> BlockReader::Materialize(uint64_t rev) {
  MaterializedBlock out;
  std::vector<block::Transform> replay;  // newest first
  bool based = false;
  constexpr uint64_t kChunk = kCheckpointInterval + 1;
  // Walk down from `rev` to the nearest materialization or base-independent transform. The
  // newest entry usually has one (the tip always does), so the first scan asks for one entry;
  // the checkpoints keep the rest within one more chunk, and later chunks only serve damaged or
  // odd histories.
  for (uint64_t upper = rev, limit = 1; !based && upper > 0; limit = kChunk) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<ActionRev> chunk, RevisionsAtOrBelow(upper, limit));
    for (const ActionRev& entry : chunk) {
      if (!out.at) {
        out.at = entry;
      }
      OPTIMYSTIC_ASSIGN_OR_RETURN(out.block, LoadMaterialized(entry.rev));
      if (out.block) {
        based = true;
        break;
      }
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::Transform transform, RequireCommitted(entry));
      based = transform.insert.has_value() || transform.remove;
      replay.push_back(std::move(transform));
      if (based) {
        break;
      }
    }
    if (chunk.size() < limit) {
      break;
    }
    upper = chunk.back().rev - 1;
  }
  if (!out.at) {
    return out;  // nothing committed at or below `rev`
  }
  if (!based) {
    return Corrupt(keys_.Materialized(out.at->rev),
                   "no materialization or base-independent revision at or below rev " +
                       std::to_string(out.at->rev));
  }
  for (auto it = replay.rbegin(); it != replay.rend(); ++it) {
    Result<std::optional<block::Value>> next = block::ApplyTransform(out.block, *it);
    if (!next) {
      return Corrupt(keys_.Revision(out.at->rev),
                     "replaying a committed transform: " + std::string(next.error().message()));
    }
    out.block = std::move(*next);
  }
  return out;
}

}  // namespace optimystic::core::repository
