// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the repository tests: block and transform builders, a fixture over the
// memory engine, raw snapshots of an engine, and checks of invariants P and L.
// Thread-safety: like the Repository; the fixture's helpers assert from the calling thread.
// Errors: failed expectations are reported through gtest.
#pragma once

#include <optimystic/block/block.h>
#include <optimystic/block/operation.h>
#include <optimystic/block/transform.h>
#include <optimystic/block/value.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transactor/transactor_types.h>

#include "core/repository/block_reader.h"
#include "core/repository/repository.h"
#include "storage/memory/memory_storage_engine.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optimystic::core::repository::test_util {

using block::BlockId;
using block::BlockOperation;
using block::Transform;
using block::Transforms;
using block::Value;
using transactor::ActionContext;
using transactor::ActionId;
using transactor::ActionRev;
using transactor::GetBlockResult;
using transactor::PendPolicy;
using transactor::PendRequest;
using transactor::StaleFailure;

// A block {header: {id, type "TL", collectionId "test"}, v, log: []}.
inline Value TestBlock(const BlockId& id, int64_t v = 0) {
  Value block = block::MakeBlock(block::BlockHeader{id, "TL", "test"});
  block["v"] = v;
  block["log"] = Value::array();
  return block;
}

inline Transforms InsertOf(const Value& block) {
  Transforms t;
  t.inserts.emplace(block["header"]["id"].get<std::string>(), block);
  return t;
}
inline Transforms UpdateOf(const BlockId& id, block::BlockOperations ops) {
  Transforms t;
  t.updates.emplace(id, std::move(ops));
  return t;
}
inline Transforms DeleteOf(const BlockId& id) {
  Transforms t;
  t.deletes.push_back(id);
  return t;
}
inline Transforms SetV(const BlockId& id, int64_t v) {
  return UpdateOf(id, {BlockOperation::Assign("v", v)});
}
inline Transforms Both(const Transforms& a, const Transforms& b) {
  return block::MergeTransforms(a, b);
}

inline PendRequest MakePend(const ActionId& action, std::optional<uint64_t> rev,
                            Transforms transforms, PendPolicy policy = PendPolicy::kContinue) {
  PendRequest request;
  request.action_id = action;
  request.rev = rev;
  request.transforms = std::move(transforms);
  request.policy = policy;
  return request;
}

inline transactor::CommitRequest MakeCommit(const ActionId& action, uint64_t rev,
                                            std::vector<BlockId> ids) {
  transactor::CommitRequest request;
  request.action_id = action;
  request.rev = rev;
  request.tail_id = ids.empty() ? BlockId() : ids.front();
  request.block_ids = std::move(ids);
  return request;
}

inline ActionContext AtRev(uint64_t rev, std::vector<ActionRev> committed = {},
                           std::optional<ActionId> action = std::nullopt) {
  ActionContext ctx;
  ctx.rev = rev;
  ctx.committed = std::move(committed);
  ctx.action_id = std::move(action);
  return ctx;
}

// Every key and value in `engine`.
inline std::map<std::string, std::string> Snapshot(storage::StorageEngine& engine) {
  struct Sink final : storage::ScanSink {
    bool OnEntry(std::string_view key, std::string_view value) noexcept override {
      entries.emplace(std::string(key), std::string(value));
      return true;
    }
    std::map<std::string, std::string> entries;
  } sink;
  EXPECT_TRUE(engine.Scan(storage::ScanRange{}, sink).ok());
  return sink.entries;
}

// Invariant P: no block holds a pending and a committed record of one action. Invariant L:
// the block's latest is in its revision index and materializes.
inline void ExpectInvariants(storage::StorageEngine& engine, const std::vector<BlockId>& ids) {
  for (const BlockId& id : ids) {
    BlockReader reader(engine, id);
    auto pendings = reader.ListPendings();
    ASSERT_TRUE(pendings) << pendings.error().ToString();
    for (const ActionId& action : *pendings) {
      auto committed = reader.HasCommitted(action);
      ASSERT_TRUE(committed) << committed.error().ToString();
      EXPECT_FALSE(*committed) << "invariant P: block " << id << " holds action " << action
                               << " both pending and committed";
    }
    auto meta = reader.LoadMeta();
    ASSERT_TRUE(meta) << meta.error().ToString();
    if (!*meta || !(*meta)->latest) {
      continue;
    }
    const ActionRev latest = *(*meta)->latest;
    auto at = reader.Materialize(latest.rev);
    ASSERT_TRUE(at) << "invariant L: block " << id << ": " << at.error().ToString();
    ASSERT_TRUE(at->at.has_value());
    EXPECT_EQ(*at->at, latest) << "invariant L: block " << id;
    auto transform = reader.LoadCommitted(latest.action_id);
    ASSERT_TRUE(transform && transform->has_value()) << "block " << id;
    EXPECT_EQ(at->block.has_value(), !(*transform)->remove)
        << "invariant L: block " << id << " latest rev " << latest.rev << " does not materialize";
  }
}

class RepositoryTest : public ::testing::Test {
 protected:
  // Pends and expects success; returns the conflicts seen.
  std::vector<transactor::ActionPending> PendOk(const PendRequest& request) {
    auto result = repo_.Pend(request);
    EXPECT_TRUE(result) << result.error().ToString();
    if (!result) {
      return {};
    }
    const auto* success = std::get_if<transactor::PendSuccess>(&*result);
    EXPECT_NE(success, nullptr) << "pend " << request.action_id
                                << " failed: " << Describe(std::get<StaleFailure>(*result));
    return success ? success->pending : std::vector<transactor::ActionPending>{};
  }
  StaleFailure PendFails(const PendRequest& request) {
    auto result = repo_.Pend(request);
    EXPECT_TRUE(result) << result.error().ToString();
    if (!result || !std::holds_alternative<StaleFailure>(*result)) {
      ADD_FAILURE() << "pend " << request.action_id << " succeeded";
      return {};
    }
    return std::get<StaleFailure>(*result);
  }
  void CommitOk(const ActionId& action, uint64_t rev, std::vector<BlockId> ids) {
    auto result = repo_.Commit(MakeCommit(action, rev, std::move(ids)));
    ASSERT_TRUE(result) << result.error().ToString();
    const StaleFailure* failure = transactor::FailureOf(*result);
    ASSERT_EQ(failure, nullptr) << "commit " << action << " failed: " << Describe(*failure);
  }
  StaleFailure CommitFails(const ActionId& action, uint64_t rev, std::vector<BlockId> ids) {
    auto result = repo_.Commit(MakeCommit(action, rev, std::move(ids)));
    EXPECT_TRUE(result) << result.error().ToString();
    if (!result || transactor::FailureOf(*result) == nullptr) {
      ADD_FAILURE() << "commit " << action << " succeeded";
      return {};
    }
    return *transactor::FailureOf(*result);
  }
  // Pend (policy c) then commit at `rev`.
  void Land(const ActionId& action, uint64_t rev, const Transforms& transforms) {
    PendOk(MakePend(action, rev, transforms));
    CommitOk(action, rev, block::BlockIdsForTransforms(transforms));
  }
  GetBlockResult Read(const BlockId& id, std::optional<ActionContext> ctx = std::nullopt) {
    transactor::BlockGets gets;
    gets.block_ids = {id};
    gets.context = std::move(ctx);
    auto result = repo_.Get(gets);
    EXPECT_TRUE(result) << result.error().ToString();
    if (!result || result->count(id) == 0) {
      return {};
    }
    return result->at(id);
  }

  static std::string Describe(const StaleFailure& f) {
    std::string out = "reason=" + f.reason.value_or("-") +
                      " missing=" + std::to_string(f.missing.size()) +
                      " pending=" + std::to_string(f.pending.size());
    return out;
  }

  plugins::storage_memory::MemoryStorageEngine engine_;
  Repository repo_{engine_};
};

}  // namespace optimystic::core::repository::test_util
