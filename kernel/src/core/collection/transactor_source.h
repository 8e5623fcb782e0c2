// SPDX-License-Identifier: Apache-2.0
// TransactorSource (SPEC.md §5.1, §6.5–6.6): the BlockSource a collection reads through. It asks
// a Transactor for one block at a time under the collection's ActionContext (none: latest) and
// keeps reads three-valued (SPEC.md §10.12): a present block, an authoritatively absent one
// (nullopt), or an error for an unavailable or possibly-stale answer, which callers must never
// treat as "does not exist". Every present read is recorded in a ReadCollector at the revision
// the content is at (materializedRev, else the block's latest rev, else 0); absent reads record
// nothing (SPEC.md §8 I11). Transact is the single-collection commit path: pend with policy 'r',
// commit log-first, cancel on failure.
// ReadCollector is the collection's OCC read set (per block: the highest revision seen; a value
// read wins over a navigation read). ReadRecordingSource sits above the collection's CacheSource
// and records cache hits too, at the revision the cache holds for the block (SPEC.md §10.10).
// Thread-safety: ReadCollector is thread-safe. TransactorSource and ReadRecordingSource are
// as thread-safe as their transactor and cache, except set_context, which the owning collection
// calls under its latch.
// Errors: transactor errors propagate with "block <id>: " context; an unavailable block is
// Unavailable "block <id> unavailable: <reason>"; a possibly-stale one is Unavailable
// "block <id> possibly stale: a replica claims rev <n>"; a result without the asked-for entry
// counts as absent.
#pragma once

#include <optimystic/base/random_source.h>
#include <optimystic/base/result.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/cache_source.h>
#include <optimystic/transactor/transactor.h>
#include <optimystic/transactor/transactor_types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace optimystic::core::collection {

// The text of an UnavailableReason, e.g. "peers-unreachable".
std::string_view UnavailableReasonName(transactor::UnavailableReason reason) noexcept;

class ReadCollector final {
 public:
  void Record(const block::BlockId& id, uint64_t revision, block::ReadPurpose purpose);
  // The value reads, sorted by block id (navigation-only reads are left out, SPEC.md §6.6).
  std::vector<transactor::ReadDependency> ValueReads() const;
  void Clear();

 private:
  struct Seen {
    uint64_t revision = 0;
    bool value = false;
  };
  mutable std::mutex mutex_;
  std::map<block::BlockId, Seen> reads_;
};

class TransactorSource final : public block::BlockSource {
 public:
  // OWNERSHIP: `transactor`, `random` and `collector` (optional) must outlive the source.
  TransactorSource(block::BlockId collection_id, transactor::Transactor& transactor,
                   base::RandomSource& random, ReadCollector* collector = nullptr);

  // The context reads are made under (none: latest). REQUIRES: no read is in flight.
  void set_context(std::optional<transactor::ActionContext> context) {
    context_ = std::move(context);
  }
  const std::optional<transactor::ActionContext>& context() const { return context_; }
  // The cache in front of this source: every block it loads is noted there at its revision,
  // so that later cache hits record the right read dependency. OWNERSHIP: outlives the source.
  void set_cache(block::CacheSource* cache) { cache_ = cache; }

  // A header stamped with this source's collection id; a fresh id unless `new_id` is given.
  Result<block::BlockHeader> CreateBlockHeader(
      const block::BlockType& type, const std::optional<block::BlockId>& new_id) override;
  Result<std::optional<block::Value>> TryGet(const block::BlockId& id,
                                             block::ReadPurpose purpose) override;
  // 32 random bytes, base32 (block_id.h).
  Result<block::BlockId> GenerateId() override;

  // SPEC.md §6.5: pends `transforms` as `action_id` at `rev` with policy 'r' (and `priority`
  // when > 0), then commits with the log tail `tail_id` first and the collection header as
  // header_id when the header is among the inserts. A refused pend is returned as is; a refused
  // commit cancels the pend and is returned; a commit error cancels and is returned as the
  // error. nullopt: the action committed.
  Result<std::optional<transactor::StaleFailure>> Transact(const block::Transforms& transforms,
                                                           const transactor::ActionId& action_id,
                                                           uint64_t rev,
                                                           const block::BlockId& tail_id,
                                                           uint32_t priority);

 private:
  const block::BlockId collection_id_;
  transactor::Transactor& transactor_;
  base::RandomSource& random_;
  ReadCollector* collector_;
  block::CacheSource* cache_ = nullptr;
  std::optional<transactor::ActionContext> context_;
};

// Reads the one block `id` straight from `transactor` (SPEC.md §5.2 bootstrap reads): present
// or nullopt, with the same unavailable and possibly-stale errors as TransactorSource, plus the
// block's state.
struct DirectRead {
  std::optional<block::Value> block;
  transactor::BlockState state;
  // The revision a present block's content is at: materializedRev, else state.latest's rev,
  // else 0 (SPEC.md §6.2); what a read dependency records.
  uint64_t revision = 0;
};
Result<DirectRead> ReadDirect(transactor::Transactor& transactor, const block::BlockId& id,
                              const std::optional<transactor::ActionContext>& context);

class ReadRecordingSource final : public block::BlockSource {
 public:
  // OWNERSHIP: `cache` and `collector` must outlive this source.
  ReadRecordingSource(block::CacheSource& cache, ReadCollector& collector)
      : cache_(cache), collector_(collector) {}

  Result<block::BlockHeader> CreateBlockHeader(
      const block::BlockType& type, const std::optional<block::BlockId>& new_id) override {
    return cache_.CreateBlockHeader(type, new_id);
  }
  Result<std::optional<block::Value>> TryGet(const block::BlockId& id,
                                             block::ReadPurpose purpose) override;
  Result<block::BlockRef> TryGetRef(const block::BlockId& id, block::ReadPurpose purpose) override;
  Result<block::BlockId> GenerateId() override { return cache_.GenerateId(); }

 private:
  void RecordHit(const block::BlockId& id, block::ReadPurpose purpose);

  block::CacheSource& cache_;
  ReadCollector& collector_;
};

}  // namespace optimystic::core::collection
