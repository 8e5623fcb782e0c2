// SPDX-License-Identifier: Apache-2.0
#include "core/collection/transactor_source.h"

#include <optimystic/block/block_id.h>

#include <algorithm>
#include <string>
#include <utility>

namespace optimystic::core::collection {

using block::BlockId;
using block::ReadPurpose;
using transactor::ActionContext;
using transactor::StaleFailure;

std::string_view UnavailableReasonName(transactor::UnavailableReason reason) noexcept {
  switch (reason) {
    case transactor::UnavailableReason::kUnmaterializable:
      return "unmaterializable";
    case transactor::UnavailableReason::kPeersUnreachable:
      return "peers-unreachable";
    case transactor::UnavailableReason::kCohortUnreachable:
      return "cohort-unreachable";
    case transactor::UnavailableReason::kClaimedElsewhere:
      return "claimed-elsewhere";
  }
  return "unknown";
}

void ReadCollector::Record(const BlockId& id, uint64_t revision, ReadPurpose purpose) {
  std::lock_guard<std::mutex> lock(mutex_);
  Seen& seen = reads_[id];
  seen.revision = std::max(seen.revision, revision);
  seen.value = seen.value || purpose == ReadPurpose::kValue;
}

std::vector<transactor::ReadDependency> ReadCollector::ValueReads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<transactor::ReadDependency> out;
  for (const auto& [id, seen] : reads_) {
    if (seen.value) {
      out.push_back(transactor::ReadDependency{id, seen.revision});
    }
  }
  return out;
}

void ReadCollector::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  reads_.clear();
}

Result<DirectRead> ReadDirect(transactor::Transactor& transactor, const BlockId& id,
                              const std::optional<ActionContext>& context) {
  transactor::BlockGets gets;
  gets.block_ids.push_back(id);
  gets.context = context;
  Result<transactor::GetBlockResults> results = transactor.Get(gets);
  if (!results) {
    return results.error().WithContext("block " + id);
  }
  auto it = results->find(id);
  if (it == results->end()) {
    return DirectRead{};
  }
  transactor::GetBlockResult& result = it->second;
  if (!result.block.has_value() && result.unavailable.has_value()) {
    return Status::Unavailable(
        "block " + id + " unavailable: " + std::string(UnavailableReasonName(*result.unavailable)));
  }
  if (result.unconfirmed_ahead_rev.has_value() &&
      (!context.has_value() || context->rev >= *result.unconfirmed_ahead_rev)) {
    return Status::Unavailable("block " + id + " possibly stale: a replica claims rev " +
                               std::to_string(*result.unconfirmed_ahead_rev));
  }
  DirectRead read;
  if (result.materialized_rev.has_value()) {
    read.revision = *result.materialized_rev;
  } else if (result.state.latest.has_value()) {
    read.revision = result.state.latest->rev;
  }
  read.state = std::move(result.state);
  if (result.block.has_value()) {
    read.block = std::move(result.block);
  }
  return read;
}

TransactorSource::TransactorSource(BlockId collection_id, transactor::Transactor& transactor,
                                   base::RandomSource& random, ReadCollector* collector)
    : collection_id_(std::move(collection_id)),
      transactor_(transactor),
      random_(random),
      collector_(collector) {}

Result<block::BlockHeader> TransactorSource::CreateBlockHeader(
    const block::BlockType& type, const std::optional<BlockId>& new_id) {
  BlockId id = new_id.has_value() ? *new_id : block::NewBlockId(random_);
  return block::BlockHeader{std::move(id), type, collection_id_};
}

Result<BlockId> TransactorSource::GenerateId() { return block::NewBlockId(random_); }

Result<std::optional<block::Value>> TransactorSource::TryGet(const BlockId& id,
                                                             ReadPurpose purpose) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(DirectRead read, ReadDirect(transactor_, id, context_));
  if (!read.block.has_value()) {
    return std::optional<block::Value>();  // absent reads record nothing (SPEC.md §8 I11)
  }
  if (collector_ != nullptr) {
    collector_->Record(id, read.revision, purpose);
  }
  if (cache_ != nullptr) {
    cache_->NoteRevision(id, read.revision);
  }
  return std::move(read.block);
}

Result<std::optional<StaleFailure>> TransactorSource::Transact(
    const block::Transforms& transforms, const transactor::ActionId& action_id, uint64_t rev,
    const BlockId& tail_id, uint32_t priority) {
  transactor::PendRequest pend;
  pend.action_id = action_id;
  pend.rev = rev;
  pend.transforms = transforms;
  pend.policy = transactor::PendPolicy::kReturn;  // collections always pend with 'r' (§6.3)
  if (priority > 0) {
    pend.priority = priority;
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::PendResult pended, transactor_.Pend(pend));
  if (const StaleFailure* failure = transactor::FailureOf(pended)) {
    return std::optional<StaleFailure>(*failure);
  }
  const auto& success = std::get<transactor::PendSuccess>(pended);

  transactor::CommitRequest commit;
  commit.block_ids =
      success.block_ids.empty() ? block::BlockIdsForTransforms(transforms) : success.block_ids;
  commit.action_id = action_id;
  commit.rev = rev;
  commit.tail_id = tail_id;
  if (transforms.inserts.count(collection_id_) != 0) {
    commit.header_id = collection_id_;  // a new collection: its header commits first (§6.4)
  }
  const transactor::ActionBlocks cancel{commit.block_ids, action_id};
  Result<transactor::CommitResult> committed = transactor_.Commit(commit);
  if (!committed) {
    // The pend must not outlive a commit that did not happen; the commit's error is the news.
    (void)transactor_.Cancel(cancel);
    return committed.error();
  }
  if (const StaleFailure* failure = transactor::FailureOf(*committed)) {
    StaleFailure copy = *failure;
    // The refusal is the news and the writer retries it; a cancel that did not take leaves a
    // pending record only (a network transactor sends it again in the background).
    (void)transactor_.Cancel(cancel);
    return std::optional<StaleFailure>(std::move(copy));
  }
  return std::optional<StaleFailure>();
}

void ReadRecordingSource::RecordHit(const BlockId& id, ReadPurpose purpose) {
  // Misses were recorded by the TransactorSource below; a hit is recorded here at the revision
  // the cache holds. A block the cache did not keep has no revision and was recorded on load.
  if (std::optional<uint64_t> rev = cache_.RevisionOf(id)) {
    collector_.Record(id, *rev, purpose);
  }
}

Result<std::optional<block::Value>> ReadRecordingSource::TryGet(const BlockId& id,
                                                                ReadPurpose purpose) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<block::Value> block, cache_.TryGet(id, purpose));
  if (block.has_value()) {
    RecordHit(id, purpose);
  }
  return block;
}

Result<block::BlockRef> ReadRecordingSource::TryGetRef(const BlockId& id, ReadPurpose purpose) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef block, cache_.TryGetRef(id, purpose));
  if (block != nullptr) {
    RecordHit(id, purpose);
  }
  return block;
}

}  // namespace optimystic::core::collection
