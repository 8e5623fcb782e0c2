// SPDX-License-Identifier: Apache-2.0
// BlockLockTable: the per-block commit locks of the repository (SPEC.md §1.10, Appendix B). A
// table keyed by block id holds one mutex per block that somebody is using; entries are created
// on demand and dropped when the last user leaves, so the table stays as small as the set of
// blocks in flight. Lock(ids) takes the locks of the distinct ids in sorted order, which is what
// keeps two operations over overlapping block sets from deadlocking; the returned BlockLocks
// releases them when it goes away.
// Thread-safety: every method may be called concurrently. A BlockLocks belongs to one thread.
// Errors: none.
#pragma once

#include <optimystic/block/block.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace optimystic::core::repository {

class BlockLockTable;

// One block's lock. `users` (guarded by the table's mutex) counts the operations holding or
// waiting for it; `id` points at the table's key.
struct BlockLockEntry {
  std::mutex mu;
  int users = 0;
  const block::BlockId* id = nullptr;
};

// The locks held by one operation; released on destruction.
class [[nodiscard]] BlockLocks final {
 public:
  BlockLocks(BlockLocks&& other) noexcept;
  BlockLocks& operator=(BlockLocks&&) = delete;
  BlockLocks(const BlockLocks&) = delete;
  BlockLocks& operator=(const BlockLocks&) = delete;
  ~BlockLocks();

 private:
  friend class BlockLockTable;
  BlockLocks(BlockLockTable* table, std::vector<BlockLockEntry*> entries) noexcept
      : table_(table), entries_(std::move(entries)) {}

  BlockLockTable* table_;
  std::vector<BlockLockEntry*> entries_;  // in acquisition order
};

class BlockLockTable final {
 public:
  BlockLockTable() = default;
  BlockLockTable(const BlockLockTable&) = delete;
  BlockLockTable& operator=(const BlockLockTable&) = delete;

  // Blocks until the locks of every distinct id in `ids` are held (in sorted order).
  // REQUIRES: the calling thread holds no BlockLocks of this table (locks are not reentrant).
  BlockLocks Lock(std::vector<block::BlockId> ids);

 private:
  friend class BlockLocks;

  std::mutex mu_;  // guards entries_ and every entry's `users`
  std::map<block::BlockId, BlockLockEntry> entries_;
};

}  // namespace optimystic::core::repository
