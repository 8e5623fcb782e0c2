// SPDX-License-Identifier: Apache-2.0
// MemoryBlockStore: a BlockStore in a std::map for unit tests (SPEC.md §1.2, §10.2). It hands
// out ids "block-1", "block-2", ... in order, stamps collectionId "test" on new headers, and
// copies blocks on insert and on TryGet; TryGetRef hands out the stored immutable block, and an
// update makes a new block unless no reader holds the old one (then it edits in place), so no
// caller can change what another sees. It also counts the writes it received and the reads
// (TryGet and TryGetRef), so tests can see what a commit wrote.
// Thread-safety: every method may be called from any thread (one mutex).
// Errors: Insert of a block without a valid header is InvalidArgument; Update of a missing block
// is NotFound "Missing block (<id>)", an operation that cannot apply is InvalidArgument (the
// block stays unchanged); Delete of a missing block is OK.
#pragma once

#include <optimystic/block/block_store.h>

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace optimystic::test {

class MemoryBlockStore final : public block::BlockStore {
 public:
  struct Counts {
    size_t inserts = 0;
    size_t updates = 0;
    size_t deletes = 0;
  };

  Result<block::BlockHeader> CreateBlockHeader(
      const block::BlockType& type, const std::optional<block::BlockId>& new_id) override {
    block::BlockId id;
    if (new_id.has_value()) {
      id = *new_id;
    } else {
      id = NextId();
    }
    return block::BlockHeader{id, type, "test"};
  }

  Result<std::optional<block::Value>> TryGet(const block::BlockId& id,
                                             block::ReadPurpose purpose) override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef block, TryGetRef(id, purpose));
    if (block == nullptr) {
      return std::optional<block::Value>();
    }
    return std::optional<block::Value>(*block);
  }

  Result<block::BlockRef> TryGetRef(const block::BlockId& id, block::ReadPurpose purpose) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++reads_;
    auto it = blocks_.find(id);
    if (it == blocks_.end()) {
      return block::BlockRef();
    }
    return block::BlockRef(it->second);
  }

  Result<block::BlockId> GenerateId() override { return NextId(); }

  Status Insert(const block::Value& block) override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header, block::HeaderOf(block));
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_.inserts;
    blocks_.insert_or_assign(header.id, std::make_shared<block::Value>(block));
    return Status::Ok();
  }

  Status Update(const block::BlockId& id, const block::BlockOperation& op) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(id);
    if (it == blocks_.end()) {
      return Status::NotFound("Missing block (" + id + ")");
    }
    if (it->second.use_count() == 1) {
      // No reader holds this block (new references are only made under the lock): edit it. The
      // fence orders the edit after the last reader's reads, which happened before it dropped
      // its reference on another thread.
      std::atomic_thread_fence(std::memory_order_acquire);
      OPTIMYSTIC_RETURN_IF_ERROR(block::ApplyOperation(*it->second, op));
    } else {
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value changed, block::WithOperation(*it->second, op));
      it->second = std::make_shared<block::Value>(std::move(changed));
    }
    ++counts_.updates;
    return Status::Ok();
  }

  Status Delete(const block::BlockId& id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_.deletes;
    blocks_.erase(id);
    return Status::Ok();
  }

  bool Contains(const block::BlockId& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return blocks_.count(id) != 0;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return blocks_.size();
  }
  Counts counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_;
  }
  // How many TryGet calls reached this store.
  size_t reads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return reads_;
  }

 private:
  block::BlockId NextId() {
    std::lock_guard<std::mutex> lock(mutex_);
    return "block-" + std::to_string(++next_id_);
  }

  mutable std::mutex mutex_;
  std::unordered_map<block::BlockId, std::shared_ptr<block::Value>> blocks_;
  size_t next_id_ = 0;
  size_t reads_ = 0;
  Counts counts_;
};

}  // namespace optimystic::test
