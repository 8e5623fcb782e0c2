// SPDX-License-Identifier: Apache-2.0
// Materializations (SPEC.md §1.10): every held revision reads back equal to a model that replays
// the same transforms with ApplyTransform; only checkpoints, the range floor and the tip keep a
// materialization; tombstones read absent.
#include "core/repository/repository_format.h"
#include "repository_test_util.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

namespace optimystic::core::repository {
namespace {

using namespace test_util;  // NOLINT(build/namespaces): test helpers

// The revs that have a materialization key for `id`.
std::vector<uint64_t> MaterializedRevs(storage::StorageEngine& engine, const BlockId& id) {
  std::vector<uint64_t> revs;
  const std::string prefix = TagPrefix(id, kMaterializedTag);
  for (const auto& [key, value] : Snapshot(engine)) {
    if (auto rev = ParseRevKey(key, prefix)) {
      revs.push_back(*rev);
    }
  }
  return revs;
}

// A random update of a TestBlock: assign v, or splice the log array.
Transform RandomUpdate(std::mt19937_64& rng, int64_t step, size_t log_size) {
  Transform t;
  switch (rng() % 3) {
    case 0:
      t.updates.push_back(BlockOperation::Assign("v", step));
      break;
    case 1:
      t.updates.push_back(
          BlockOperation::Splice("log", rng() % (log_size + 1), 0, Value::array({step})));
      break;
    default:
      t.updates.push_back(
          BlockOperation::Splice("log", rng() % (log_size + 1), rng() % 2, Value::array()));
      t.updates.push_back(BlockOperation::Assign("v", -step));
      break;
  }
  return t;
}

class RepositoryMaterializationTest : public RepositoryTest {
 protected:
  // Commits `t` on `id` at `rev` and records the model state.
  void CommitModel(const BlockId& id, uint64_t rev, const Transform& t) {
    Land("act-" + std::to_string(rev), rev, block::TransformsFromTransform(t, id));
    auto next = block::ApplyTransform(current_, t);
    ASSERT_TRUE(next) << next.error().ToString();
    current_ = *next;
    model_[rev] = current_;
  }
  // Every rev in [1, last] reads back as the model's state at the highest committed rev <= it.
  void ExpectEveryRevMatchesModel(const BlockId& id, uint64_t last, uint64_t seed) {
    std::optional<Value> expected;
    std::optional<uint64_t> expected_rev;
    for (uint64_t rev = 1; rev <= last; ++rev) {
      if (auto it = model_.find(rev); it != model_.end()) {
        expected = it->second;
        expected_rev = rev;
      }
      GetBlockResult r = Read(id, AtRev(rev));
      ASSERT_EQ(r.block, expected) << "seed " << seed << " rev " << rev;
      ASSERT_EQ(r.materialized_rev, expected_rev) << "seed " << seed << " rev " << rev;
      ASSERT_FALSE(r.unavailable);
    }
  }

  std::optional<Value> current_;
  std::map<uint64_t, std::optional<Value>> model_;
};

TEST_F(RepositoryMaterializationTest, HundredRevisionsReadBackEqualToTheModel) {
  const uint64_t seed = 20240601;
  std::mt19937_64 rng(seed);
  CommitModel("b", 1, Transform{TestBlock("b"), {}, false});
  for (uint64_t rev = 2; rev <= 100; ++rev) {
    size_t log_size = (*current_)["log"].size();
    CommitModel("b", rev, RandomUpdate(rng, static_cast<int64_t>(rev), log_size));
    if (HasFailure()) {
      FAIL() << "seed " << seed << " rev " << rev;
    }
  }
  ExpectEveryRevMatchesModel("b", 100, seed);
  // Ordinals 1..100 at revs 1..100: the floor (1), checkpoints 32, 64, 96 and the tip (100).
  EXPECT_EQ(MaterializedRevs(engine_, "b"), (std::vector<uint64_t>{1, 32, 64, 96, 100}));
  ExpectInvariants(engine_, {"b"});
}

TEST_F(RepositoryMaterializationTest, CheckpointsFollowTheBlocksOwnRevisionCount) {
  // A sparse block: touched at every third collection rev, starting at rev 5.
  CommitModel("s", 5, Transform{TestBlock("s"), {}, false});
  uint64_t rev = 5;
  for (int i = 2; i <= 40; ++i) {
    rev += 3;
    CommitModel("s", rev, Transform{std::nullopt, {BlockOperation::Assign("v", i)}, false});
  }
  ExpectEveryRevMatchesModel("s", rev + 2, 7);
  // Ordinals 1 (rev 5), 32 (rev 5 + 31*3 = 98) and the tip (ordinal 40, rev 122).
  EXPECT_EQ(MaterializedRevs(engine_, "s"), (std::vector<uint64_t>{5, 98, rev}));
}

TEST_F(RepositoryMaterializationTest, TombstonesAndReinsertsReplayFromBaseIndependentRevisions) {
  // Every 16th ordinal deletes the block and the next one re-inserts it, so that ordinal 32
  // (a checkpoint) and the floor's neighbours are tombstones without materializations.
  const uint64_t seed = 99;
  std::mt19937_64 rng(seed);
  uint64_t rev = 1;
  CommitModel("t", rev, Transform{TestBlock("t"), {}, false});
  for (uint64_t ordinal = 2; ordinal <= 90; ++ordinal) {
    rev += 1 + rng() % 3;
    if (ordinal % 16 == 0) {
      CommitModel("t", rev, Transform{std::nullopt, {}, true});
    } else if (!current_) {
      Value fresh = TestBlock("t", static_cast<int64_t>(ordinal));
      CommitModel("t", rev, Transform{fresh, {BlockOperation::Assign("w", 1)}, false});
    } else {
      CommitModel("t", rev,
                  RandomUpdate(rng, static_cast<int64_t>(rev), (*current_)["log"].size()));
    }
    if (HasFailure()) {
      FAIL() << "seed " << seed << " ordinal " << ordinal;
    }
  }
  ExpectEveryRevMatchesModel("t", rev, seed);
  ExpectInvariants(engine_, {"t"});
  for (uint64_t kept : MaterializedRevs(engine_, "t")) {
    EXPECT_TRUE(model_.at(kept).has_value()) << "a tombstone rev " << kept << " was materialized";
  }
}

TEST_F(RepositoryMaterializationTest, ReadsHandOutCopies) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  GetBlockResult r = Read("b");
  (*r.block)["v"] = 99;
  (*r.block)["log"].push_back(1);
  EXPECT_EQ(Read("b").block, TestBlock("b", 1));
}

}  // namespace
}  // namespace optimystic::core::repository
