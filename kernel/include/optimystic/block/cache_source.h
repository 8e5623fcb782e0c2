// SPDX-License-Identifier: Apache-2.0
// CacheSource (SPEC.md §1.8): an LRU cache of unmodified blocks in front of a BlockSource
// (default capacity 128). A hit hands out a copy (TryGet) or the cached immutable block itself
// (TryGetRef); a miss loads from the source and caches a
// present block (absent blocks are never cached). TransformCache folds a just-committed
// Transforms into the cache: deletes drop, inserts add, updates apply only to blocks already
// cached. Per id it keeps:
//  - the committed revision of the cached block (RevisionOf), so that a cache hit can still
//    record a read dependency at the right revision (SPEC.md §10.10). Whoever loads blocks into
//    the source side calls NoteRevision (typically from inside the source's TryGet);
//    TransformCache advances it. It is forgotten with the block (eviction, clear, delete, an
//    absent load).
//  - a generation (Generation) for memoizing work derived from a cached block: it changes on
//    every content change of the id (load, clear, fold, eviction) and never decreases. It is
//    stable only while the block stays cached; for an uncached id it is the cache-wide latest
//    generation, which moves with any change.
// Thread-safety: every method may be called from any thread. The source is called without the
// cache's lock held, so the source may call NoteRevision re-entrantly. A load that overlaps a
// concurrent change is returned but not cached.
// Errors: source errors propagate; nothing else fails.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/transform.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace optimystic::block {

class CacheSource final : public BlockSource {
 public:
  static constexpr size_t kDefaultCapacity = 128;

  // OWNERSHIP: `source` must outlive the cache. REQUIRES: capacity > 0.
  explicit CacheSource(BlockSource& source, size_t capacity = kDefaultCapacity);

  Result<BlockHeader> CreateBlockHeader(const BlockType& type,
                                        const std::optional<BlockId>& new_id) override;
  Result<std::optional<Value>> TryGet(const BlockId& id, ReadPurpose purpose) override;
  Result<BlockRef> TryGetRef(const BlockId& id, ReadPurpose purpose) override;
  Result<BlockId> GenerateId() override;

  // Drops the given ids from the cache (and their revisions).
  void Clear(const std::vector<BlockId>& ids);
  void ClearAll();
  // Folds committed transforms into the cache; cached blocks they touch are at `rev` after.
  // An update that cannot apply to the cached copy drops that copy (the next read reloads).
  void TransformCache(const Transforms& transforms, uint64_t rev);

  // Records that the block `id` being loaded is at committed revision `rev`.
  void NoteRevision(const BlockId& id, uint64_t rev);
  std::optional<uint64_t> RevisionOf(const BlockId& id) const;
  uint64_t Generation(const BlockId& id) const;

  bool Contains(const BlockId& id) const;
  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    BlockId id;
    BlockRef block;  // never null
    uint64_t generation;
  };
  using Lru = std::list<Entry>;  // most recently used first

  // REQUIRES: mutex_ held. Each marks a content change of `id`.
  void PutLocked(const BlockId& id, BlockRef block);
  void EraseLocked(const BlockId& id);
  void UpdateLocked(const BlockId& id, const BlockOperations& ops);
  void AdvanceRevisionLocked(const BlockId& id, uint64_t rev);

  BlockSource& source_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<BlockId, Lru::iterator> index_;
  std::unordered_map<BlockId, uint64_t> revisions_;
  uint64_t generation_ = 0;  // the latest generation handed out
};

}  // namespace optimystic::block
