// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the block layer tests: small blocks and a store that logs its writes.
// Thread-safety: as MemoryBlockStore. Errors: as the wrapped store.
#pragma once

#include <optimystic/block/block.h>
#include <optimystic/block/block_store.h>

#include "support/memory_block_store.h"

#include <string>
#include <utility>
#include <vector>

namespace optimystic::test {

// A block {header: {id, type "TL", collectionId "test"}, ...members}.
inline block::Value TestBlock(const block::BlockId& id,
                              block::Value members = block::Value::object()) {
  block::Value out = block::MakeBlock(block::BlockHeader{id, "TL", "test"});
  for (auto it = members.begin(); it != members.end(); ++it) {
    out[it.key()] = it.value();
  }
  return out;
}

// A MemoryBlockStore that also logs each write as "insert <id>", "update <id>", "delete <id>".
class LoggingBlockStore final : public block::BlockStore {
 public:
  Result<block::BlockHeader> CreateBlockHeader(
      const block::BlockType& type, const std::optional<block::BlockId>& new_id) override {
    return store_.CreateBlockHeader(type, new_id);
  }
  Result<std::optional<block::Value>> TryGet(const block::BlockId& id,
                                             block::ReadPurpose purpose) override {
    return store_.TryGet(id, purpose);
  }
  Result<block::BlockId> GenerateId() override { return store_.GenerateId(); }
  Status Insert(const block::Value& block) override {
    auto header = block::HeaderOf(block);
    log_.push_back("insert " + (header.has_value() ? header->id : std::string("?")));
    return store_.Insert(block);
  }
  Status Update(const block::BlockId& id, const block::BlockOperation& op) override {
    log_.push_back("update " + id);
    return store_.Update(id, op);
  }
  Status Delete(const block::BlockId& id) override {
    log_.push_back("delete " + id);
    return store_.Delete(id);
  }

  MemoryBlockStore& inner() { return store_; }
  const std::vector<std::string>& log() const { return log_; }

 private:
  MemoryBlockStore store_;
  std::vector<std::string> log_;
};

}  // namespace optimystic::test
