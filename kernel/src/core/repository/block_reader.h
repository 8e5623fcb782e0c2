// SPDX-License-Identifier: Apache-2.0
// BlockReader: reads one block's records from the repository's StorageEngine (layout in
// repository_format.h) and rebuilds the block at any held revision from the nearest
// materialization or base-independent transform plus at most kCheckpointInterval forward
// transforms. It only reads; the Repository decides what to write.
// Thread-safety: a BlockReader is used by one thread; the Repository holds the block's lock while
// it reads, so that the records it sees belong together.
// Errors: engine failures propagate with the block id and key as context; stored bytes that fail
// to decode, and records that ought to exist but do not, are Corruption naming the block id and
// the key. A reader never returns data it could not verify. It decodes in
// block::DecodeMode::kTrusted (the records are the repository's own writes): every structural
// check stays, only the canonical-bytes re-encoding is skipped.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/transform.h>
#include <optimystic/block/value.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transactor/transactor_types.h>

#include "core/repository/block_record.h"
#include "core/repository/repository_format.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optimystic::core::repository {

// A block as of some revision: `at` is the highest committed revision at or below the one asked
// for (nullopt: none is held), `block` its content (nullopt: absent there, e.g. a tombstone).
struct MaterializedBlock {
  std::optional<block::Value> block;
  std::optional<transactor::ActionRev> at;
};

// A stored transform record and the bytes it was decoded from.
struct TransformRecord {
  block::Transform transform;
  std::string bytes;
};

class BlockReader final {
 public:
  // `engine` must outlive the reader.
  BlockReader(storage::StorageEngine& engine, block::BlockId id)
      : engine_(engine), id_(std::move(id)), keys_(id_) {}

  const block::BlockId& id() const noexcept { return id_; }
  // The block's keys, for the writes that go with these reads.
  const BlockKeys& keys() const noexcept { return keys_; }

  // The metadata record, or nullopt when nothing was ever committed here.
  Result<std::optional<BlockMeta>> LoadMeta();
  // The action ids with a pending record on the block, in byte order.
  Result<std::vector<transactor::ActionId>> ListPendings();
  Result<std::optional<block::Transform>> LoadPending(const transactor::ActionId& action_id);
  // LoadPending with the stored bytes (which a commit moves to the committed record as is).
  Result<std::optional<TransformRecord>> LoadPendingRecord(const transactor::ActionId& action_id);
  Result<std::optional<block::Transform>> LoadCommitted(const transactor::ActionId& action_id);
  // The committed transform of a revision-index entry; Corruption when it is missing.
  Result<block::Transform> RequireCommitted(const transactor::ActionRev& entry);
  // Whether a pending / committed record of the action exists (without decoding it).
  Result<bool> HasPending(const transactor::ActionId& action_id);
  Result<bool> HasCommitted(const transactor::ActionId& action_id);
  // Revision-index entries with from <= rev <= to, ascending.
  Result<std::vector<transactor::ActionRev>> ListRevisions(uint64_t from, uint64_t to);
  // The block as of the highest committed revision <= `rev`.
  Result<MaterializedBlock> Materialize(uint64_t rev);

 private:
  // The value at `key`, or nullopt when absent.
  Result<std::optional<std::string>> GetKey(const std::string& key);
  // Revision-index entries with rev <= `upper`, descending, at most `limit`.
  Result<std::vector<transactor::ActionRev>> RevisionsAtOrBelow(uint64_t upper, uint64_t limit);
  Result<std::vector<transactor::ActionRev>> ScanRevisions(const storage::ScanRange& range);
  Result<std::optional<TransformRecord>> LoadTransform(const std::string& key);
  Result<std::optional<block::Transform>> LoadTransformOnly(const std::string& key);
  // The materialization at `rev`, or nullopt when there is none.
  Result<std::optional<block::Value>> LoadMaterialized(uint64_t rev);
  Status Corrupt(const std::string& key, std::string_view why) const;

  storage::StorageEngine& engine_;
  block::BlockId id_;
  BlockKeys keys_;
};

}  // namespace optimystic::core::repository
