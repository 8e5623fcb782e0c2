// SPDX-License-Identifier: Apache-2.0
#include "core/repository/block_locks.h"

#include <algorithm>
#include <utility>

namespace optimystic::core::repository {

BlockLocks::BlockLocks(BlockLocks&& other) noexcept
    : table_(other.table_), entries_(std::move(other.entries_)) {
  other.entries_.clear();
}

BlockLocks::~BlockLocks() {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    (*it)->mu.unlock();
  }
  if (entries_.empty()) {
    return;
  }
  std::lock_guard guard(table_->mu_);
  for (BlockLockEntry* entry : entries_) {
    if (--entry->users == 0) {
      table_->entries_.erase(*entry->id);
    }
  }
}

BlockLocks BlockLockTable::Lock(std::vector<block::BlockId> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<BlockLockEntry*> entries;
  entries.reserve(ids.size());
  {
    // Registering as a user pins every entry (std::map nodes never move) before any waiting.
    std::lock_guard guard(mu_);
    for (const block::BlockId& id : ids) {
      auto [it, inserted] = entries_.try_emplace(id);
      it->second.id = &it->first;
      ++it->second.users;
      entries.push_back(&it->second);
    }
  }
  for (BlockLockEntry* entry : entries) {
    entry->mu.lock();
  }
  return BlockLocks(this, std::move(entries));
}

}  // namespace optimystic::core::repository
