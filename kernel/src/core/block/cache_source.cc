// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/cache_source.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace optimystic::block {

CacheSource::CacheSource(BlockSource& source, size_t capacity)
    : source_(source), capacity_(std::max<size_t>(capacity, 1)) {}

Result<BlockHeader> CacheSource::CreateBlockHeader(const BlockType& type,
                                                   const std::optional<BlockId>& new_id) {
  return source_.CreateBlockHeader(type, new_id);
}

Result<BlockId> CacheSource::GenerateId() { return source_.GenerateId(); }

Result<std::optional<Value>> CacheSource::TryGet(const BlockId& id, ReadPurpose purpose) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(BlockRef block, TryGetRef(id, purpose));
  if (block == nullptr) return std::optional<Value>();
  return std::optional<Value>(*block);
}

Result<BlockRef> CacheSource::TryGetRef(const BlockId& id, ReadPurpose purpose) {
  uint64_t before = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = index_.find(id); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->block;
    }
    before = generation_;
  }
  // Unlocked: the source may call NoteRevision.
  OPTIMYSTIC_ASSIGN_OR_RETURN(BlockRef block, source_.TryGetRef(id, purpose));
  std::lock_guard<std::mutex> lock(mutex_);
  if (block == nullptr) {
    revisions_.erase(id);  // absent blocks carry no revision (SPEC.md §9 I11)
    return block;
  }
  // Anything changed meanwhile (a fold, a clear, another load) may make this copy stale.
  if (index_.find(id) == index_.end()) {
    if (generation_ == before) {
      PutLocked(id, block);
    } else {
      revisions_.erase(id);  // not cached, so no revision to keep
    }
  }
  return block;
}

void CacheSource::Clear(const std::vector<BlockId>& ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const BlockId& id : ids) {
    EraseLocked(id);
  }
}

void CacheSource::ClearAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  lru_.clear();
  index_.clear();
  revisions_.clear();
  ++generation_;
}

void CacheSource::TransformCache(const Transforms& transforms, uint64_t rev) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Semantic order for one id: insert, then updates, then delete.
  for (const auto& [id, block] : transforms.inserts) {
    PutLocked(id, std::make_shared<const Value>(block));
    AdvanceRevisionLocked(id, rev);
  }
  for (const auto& [id, ops] : transforms.updates) {
    UpdateLocked(id, ops);
    if (index_.find(id) != index_.end()) {
      AdvanceRevisionLocked(id, rev);
    }
  }
  for (const BlockId& id : transforms.deletes) {
    EraseLocked(id);
  }
}

void CacheSource::NoteRevision(const BlockId& id, uint64_t rev) {
  std::lock_guard<std::mutex> lock(mutex_);
  revisions_.insert_or_assign(id, rev);
}

std::optional<uint64_t> CacheSource::RevisionOf(const BlockId& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = revisions_.find(id);
  if (it == revisions_.end()) {
    return std::nullopt;
  }
  return it->second;
}

uint64_t CacheSource::Generation(const BlockId& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(id);
  return it != index_.end() ? it->second->generation : generation_;
}

bool CacheSource::Contains(const BlockId& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return index_.find(id) != index_.end();
}

size_t CacheSource::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return index_.size();
}

void CacheSource::PutLocked(const BlockId& id, BlockRef block) {
  const uint64_t generation = ++generation_;
  if (auto it = index_.find(id); it != index_.end()) {
    it->second->block = std::move(block);
    it->second->generation = generation;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front(Entry{id, std::move(block), generation});
  index_.emplace(id, lru_.begin());
  if (index_.size() > capacity_) {
    EraseLocked(BlockId(lru_.back().id));  // a copy: erasing frees the entry's own id
  }
}

void CacheSource::EraseLocked(const BlockId& id) {
  ++generation_;
  revisions_.erase(id);
  if (auto it = index_.find(id); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
}

void CacheSource::UpdateLocked(const BlockId& id, const BlockOperations& ops) {
  const uint64_t generation = ++generation_;  // also marks loads in flight as stale
  auto it = index_.find(id);
  if (it == index_.end()) {
    return;  // only cached blocks are folded (SPEC.md §1.8)
  }
  Value changed = *it->second->block;  // readers may hold the old block: never change it
  if (!ApplyOperations(changed, ops).ok()) {
    EraseLocked(id);
    return;
  }
  it->second->block = std::make_shared<const Value>(std::move(changed));
  it->second->generation = generation;
}

void CacheSource::AdvanceRevisionLocked(const BlockId& id, uint64_t rev) {
  auto [it, inserted] = revisions_.try_emplace(id, rev);
  if (!inserted) {
    it->second = std::max(it->second, rev);
  }
}

}  // namespace optimystic::block
