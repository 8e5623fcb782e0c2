// SPDX-License-Identifier: Apache-2.0
// Sequential inserts past 70k entries at capacity 64 (a 4-level tree, SPEC.md §3.9; the
// historic "Missing block" bug struck at ~2081 keys when a split branch was not inserted), then
// deletes of every entry in random order until only the empty root leaf and the trunk are left.
#include <optimystic/base/seeded_random.h>
#include <optimystic/btree/btree.h>

#include "kernel/core/btree/btree_test_util.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace optimystic::btree {
namespace {

using test::IntTraits;

// Verifies the tree holds `entries` entries and the store nothing but its nodes and the trunk.
Result<TreeShape> CheckShape(BTree<IntTraits>& tree, test::MemoryBlockStore& store,
                             size_t entries) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(TreeShape shape, tree.Verify());
  if (shape.entries != entries) {
    return Status::Internal("expected " + std::to_string(entries) + " entries, found " +
                            std::to_string(shape.entries));
  }
  if (store.size() != shape.node_ids.size() + 1) {
    return Status::Internal("store holds " + std::to_string(store.size()) + " blocks for " +
                            std::to_string(shape.node_ids.size()) + " nodes and the trunk");
  }
  return shape;
}

TEST(BPlusTree, SeventyThousandSequentialInsertsThenRandomDeletes) {
  constexpr int64_t kCount = 70000;
  constexpr uint64_t kSeed = 70000;
  test::MemoryBlockStore store;
  // Bound without an atomic scope: this test is about shape at scale (atomicity has its own
  // tests), and scopes would double its running time.
  BT_ASSIGN_OR_FAIL(block::BlockId root, CreateEmptyRoot(store));
  BT_ASSIGN_OR_FAIL(auto trunk, IndependentTrunk::Create(store, root));
  BT_ASSIGN_OR_FAIL(auto tree, BTree<IntTraits>::Bind(store, std::move(trunk)));
  TreeShape shape;
  for (int64_t key = 0; key < kCount; ++key) {
    auto path = tree.Insert(key);
    ASSERT_TRUE(path.has_value() && path->on) << "key " << key << ": " << path.status().ToString();
    if (key == 2100) {  // past the first branch split
      BT_ASSIGN_OR_FAIL(shape, CheckShape(tree, store, static_cast<size_t>(key) + 1));
      EXPECT_EQ(shape.height, 3u);
    }
  }
  BT_ASSIGN_OR_FAIL(shape, CheckShape(tree, store, kCount));
  EXPECT_EQ(shape.height, 4u);
  BT_ASSIGN_OR_FAIL(size_t count, tree.GetCount());
  EXPECT_EQ(count, static_cast<size_t>(kCount));

  std::vector<int64_t> order(kCount);
  for (int64_t key = 0; key < kCount; ++key) order[static_cast<size_t>(key)] = key;
  base::SeededRandom rng(kSeed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.Uniform(i)]);
  for (size_t i = 0; i < order.size(); ++i) {
    auto path = tree.Find(order[i]);
    ASSERT_TRUE(path.has_value() && path->on) << "key " << order[i] << " (seed " << kSeed << ")";
    auto removed = tree.DeleteAt(std::move(*path));
    ASSERT_TRUE(removed.has_value() && *removed)
        << "key " << order[i] << " (seed " << kSeed << "): " << removed.status().ToString();
    if ((i + 1) % 10000 == 0) {
      BT_ASSIGN_OR_FAIL(shape, CheckShape(tree, store, order.size() - i - 1));
    }
  }
  BT_ASSIGN_OR_FAIL(shape, CheckShape(tree, store, 0));
  EXPECT_EQ(shape.height, 1u);
  EXPECT_EQ(store.size(), 2u);  // the trunk and the empty root leaf: no data nodes left
  EXPECT_EQ(test::Dump(tree), "()");
}

}  // namespace
}  // namespace optimystic::btree
