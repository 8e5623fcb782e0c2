// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/tracker.h>

#include <algorithm>
#include <utility>

namespace optimystic::block {

Tracker::Tracker(BlockSource& source, Transforms initial)
    : source_(source), transforms_(std::move(initial)) {}

Result<BlockHeader> Tracker::CreateBlockHeader(const BlockType& type,
                                               const std::optional<BlockId>& new_id) {
  return source_.CreateBlockHeader(type, new_id);
}

Result<BlockId> Tracker::GenerateId() { return source_.GenerateId(); }

Result<std::optional<Value>> Tracker::TryGet(const BlockId& id, ReadPurpose purpose) {
  if (auto it = transforms_.inserts.find(id); it != transforms_.inserts.end()) {
    return std::optional<Value>(it->second);
  }
  if (IsDeleted(id)) {
    return std::optional<Value>();
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> block, source_.TryGet(id, purpose));
  if (!block.has_value()) {
    return block;
  }
  if (auto it = transforms_.updates.find(id); it != transforms_.updates.end()) {
    Status status = ApplyOperations(*block, it->second);
    if (!status.ok()) {
      return status.WithContext("replay updates of block " + id);
    }
  }
  return block;
}

Result<BlockRef> Tracker::TryGetRef(const BlockId& id, ReadPurpose purpose) {
  const bool changed = transforms_.inserts.count(id) != 0 || transforms_.updates.count(id) != 0;
  if (changed) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> block, TryGet(id, purpose));
    if (!block.has_value()) return BlockRef();
    return BlockRef(std::make_shared<const Value>(std::move(*block)));
  }
  if (IsDeleted(id)) return BlockRef();
  return source_.TryGetRef(id, purpose);
}

Status Tracker::Insert(const Value& block) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(BlockHeader header, HeaderOf(block));
  transforms_.inserts.insert_or_assign(header.id, block);
  // The inserted block replaces what earlier updates built; keeping them would replay them over
  // it at commit although reads never showed that.
  transforms_.updates.erase(header.id);
  auto& deletes = transforms_.deletes;
  deletes.erase(std::remove(deletes.begin(), deletes.end(), header.id), deletes.end());
  return Status::Ok();
}

Status Tracker::Update(const BlockId& id, const BlockOperation& op) {
  if (auto it = transforms_.inserts.find(id); it != transforms_.inserts.end()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value changed, WithOperation(it->second, op));
    it->second = std::move(changed);
    return Status::Ok();
  }
  if (IsDeleted(id)) {
    return Status::NotFound("Missing block (" + id + ")");
  }
  transforms_.updates[id].push_back(op);
  return Status::Ok();
}

Status Tracker::Delete(const BlockId& id) {
  transforms_.inserts.erase(id);
  transforms_.updates.erase(id);
  if (!IsDeleted(id)) {
    transforms_.deletes.push_back(id);
  }
  return Status::Ok();
}

Transforms Tracker::Reset(Transforms next) { return std::exchange(transforms_, std::move(next)); }

std::vector<BlockId> Tracker::TransformedBlockIds() const {
  return BlockIdsForTransforms(transforms_);
}

std::vector<BlockId> Tracker::Conflicts(const std::set<BlockId>& ids) const {
  std::vector<BlockId> out;
  for (BlockId& id : TransformedBlockIds()) {
    if (ids.count(id) != 0) {
      out.push_back(std::move(id));
    }
  }
  return out;
}

bool Tracker::IsDeleted(const BlockId& id) const {
  const auto& deletes = transforms_.deletes;
  return std::find(deletes.begin(), deletes.end(), id) != deletes.end();
}

}  // namespace optimystic::block
