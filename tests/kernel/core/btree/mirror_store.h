// SPDX-License-Identifier: Apache-2.0
// MirrorStore: a BlockStore over a MemoryBlockStore that keeps its own copy of every block,
// brought up to date on each successful write (insert, update, delete). A test can then look at
// the whole store after every step of a long random run without copying blocks out of it one
// read at a time; CheckMirror confirms the copy still equals the store.
// Thread-safety: none; one test thread. Errors: as the inner store; a write the inner store
// accepted but the mirror cannot apply is Internal.
#pragma once

#include <optimystic/block/block_store.h>

#include "support/memory_block_store.h"

#include <map>
#include <optional>
#include <string>

namespace optimystic::btree::test {

class MirrorStore final : public block::BlockStore {
 public:
  Result<block::BlockHeader> CreateBlockHeader(const block::BlockType& type,
                                               const std::optional<block::BlockId>& id) override {
    return inner_.CreateBlockHeader(type, id);
  }
  Result<std::optional<block::Value>> TryGet(const block::BlockId& id,
                                             block::ReadPurpose purpose) override {
    return inner_.TryGet(id, purpose);
  }
  Result<block::BlockId> GenerateId() override { return inner_.GenerateId(); }

  Status Insert(const block::Value& block) override {
    OPTIMYSTIC_RETURN_IF_ERROR(inner_.Insert(block));
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header, block::HeaderOf(block));
    blocks_.insert_or_assign(header.id, block);
    return Status::Ok();
  }
  Status Update(const block::BlockId& id, const block::BlockOperation& op) override {
    OPTIMYSTIC_RETURN_IF_ERROR(inner_.Update(id, op));
    auto it = blocks_.find(id);
    if (it == blocks_.end()) return Status::Internal("mirror: update of unknown block " + id);
    return block::ApplyOperation(it->second, op);
  }
  Status Delete(const block::BlockId& id) override {
    OPTIMYSTIC_RETURN_IF_ERROR(inner_.Delete(id));
    blocks_.erase(id);
    return Status::Ok();
  }

  // Every block in the store, by id.
  const std::map<block::BlockId, block::Value>& blocks() const { return blocks_; }
  size_t size() const { return inner_.size(); }

  // OK when the mirror holds exactly what the store holds.
  Status CheckMirror() {
    if (blocks_.size() != inner_.size()) {
      return Status::Internal("mirror: " + std::to_string(blocks_.size()) + " blocks, store " +
                              std::to_string(inner_.size()));
    }
    for (const auto& [id, block] : blocks_) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value stored, block::GetBlock(inner_, id));
      if (stored != block) return Status::Internal("mirror: block " + id + " differs");
    }
    return Status::Ok();
  }

 private:
  ::optimystic::test::MemoryBlockStore inner_;
  std::map<block::BlockId, block::Value> blocks_;
};

}  // namespace optimystic::btree::test
