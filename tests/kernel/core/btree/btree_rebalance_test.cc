// SPDX-License-Identifier: Apache-2.0
// Exact node layouts after splits (SPEC.md §3.7) and after deletes with separator refresh,
// borrow, merge and root collapse (SPEC.md §3.8), at capacity 4 (minimum fill 2). Trees are
// written in the text form of btree_test_util.h: "(...)" a leaf, "[child key child ...]" a
// branch with its partitions between its children.
#include <optimystic/btree/btree.h>

#include "kernel/core/btree/btree_test_util.h"

#include <gtest/gtest.h>

#include <string>

namespace optimystic::btree {
namespace {

using test::Dump;

struct Case {
  const char* name;
  const char* before;
  int64_t key;
  const char* after;
};

std::ostream& operator<<(std::ostream& out, const Case& c) { return out << c.name; }

// Checks the tree after the change: invariants, no orphans, and that the path an insert
// returns points at the inserted key.
void ExpectSound(test::MemoryBlockStore& store, BTree<test::IntTraits>& tree) {
  BT_ASSIGN_OR_FAIL(TreeShape shape, tree.Verify());
  EXPECT_EQ(store.size(), shape.node_ids.size() + 1) << "orphaned or missing blocks";
}

class InsertLayout : public ::testing::TestWithParam<Case> {};

TEST_P(InsertLayout, SplitsExactlyAsSpecified) {
  const Case& c = GetParam();
  test::MemoryBlockStore store;
  BT_ASSIGN_OR_FAIL(auto tree, test::BuildTree(store, c.before, 4));
  ASSERT_EQ(Dump(tree), c.before);
  BT_ASSIGN_OR_FAIL(Path path, tree.Insert(c.key));
  ASSERT_TRUE(path.on);
  EXPECT_EQ(tree.KeyAt(path)->value(), c.key);
  EXPECT_EQ(Dump(tree), c.after);
  ExpectSound(store, tree);
}

INSTANTIATE_TEST_SUITE_P(
    BPlusTree, InsertLayout,
    ::testing::Values(
        Case{"RootLeafSplit", "(1 2 3 4)", 5, "[(1 2) 3 (3 4 5)]"},
        Case{"BranchWithRoomTakesTheSplit", "[(1 2) 10 (10 20 30 40)]", 25,
             "[(1 2) 10 (10 20) 25 (25 30 40)]"},
        // Full root branch [A 50 B 70 C 90 D]: mid = 2, partitions[1] goes up.
        Case{"BranchSplitChildBelowMidStaysLeft", "[(1 2 3 4) 10 (10 20) 30 (30 40) 50 (50 60)]", 0,
             "[[(0 1 2) 3 (3 4) 10 (10 20)] 30 [(30 40) 50 (50 60)]]"},
        Case{"BranchSplitChildAtMidMinusOneStaysLeft",
             "[(1 2) 10 (10 20 30 40) 50 (50 60) 70 (70 80)]", 25,
             "[[(1 2) 10 (10 20) 25 (25 30 40)] 50 [(50 60) 70 (70 80)]]"},
        Case{"BranchSplitChildAtMidGoesRight", "[(1 2) 10 (10 20) 30 (30 40 50 60) 70 (70 80)]", 35,
             "[[(1 2) 10 (10 20)] 30 [(30 35 40) 50 (50 60) 70 (70 80)]]"},
        Case{"BranchSplitLastChildGoesRight", "[(1 2) 10 (10 20) 30 (30 40) 50 (50 60 70 80)]", 90,
             "[[(1 2) 10 (10 20)] 30 [(30 40) 50 (50 60) 70 (70 80 90)]]"},
        Case{"SplitPropagatesThroughTwoBranchLevels",
             "[[(1 2) 10 (10 20) 30 (30 40) 50 (50 60 70 80)] 100 [(100 110) 120 (120 130)]]", 90,
             "[[(1 2) 10 (10 20)] 30 [(30 40) 50 (50 60) 70 (70 80 90)] 100 "
             "[(100 110) 120 (120 130)]]"},
        Case{"RootBranchSplitGrowsANewRoot",
             "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)] 9 [(9 10) 11 (11 12)] 13 "
             "[(13 14) 15 (15 16) 17 (17 18) 19 (19 20 21 22)]]",
             23,
             "[[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)]] 9 [[(9 10) 11 (11 12)] 13 "
             "[(13 14) 15 (15 16)] 17 [(17 18) 19 (19 20) 21 (21 22 23)]]]"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

class DeleteLayout : public ::testing::TestWithParam<Case> {};

TEST_P(DeleteLayout, RebalancesExactlyAsSpecified) {
  const Case& c = GetParam();
  test::MemoryBlockStore store;
  BT_ASSIGN_OR_FAIL(auto tree, test::BuildTree(store, c.before, 4));
  ASSERT_EQ(Dump(tree), c.before);
  BT_ASSIGN_OR_FAIL(Path path, tree.Find(c.key));
  ASSERT_TRUE(path.on);
  BT_ASSIGN_OR_FAIL(bool removed, tree.DeleteAt(path));
  EXPECT_TRUE(removed);
  EXPECT_EQ(Dump(tree), c.after);
  ExpectSound(store, tree);
}

INSTANTIATE_TEST_SUITE_P(
    BPlusTree, DeleteLayout,
    ::testing::Values(
        // Step 1: removing index 0 refreshes the separator routing to the leaf.
        Case{"FirstEntryRefreshesTheParentSeparator", "[(1 2 3) 4 (4 5 6)]", 4,
             "[(1 2 3) 5 (5 6)]"},
        Case{"FirstEntryRefreshesAnAncestorWhenTheLeafIsAFirstChild",
             "[[(1 2) 3 (3 4)] 5 [(5 6 7) 8 (8 9)]]", 5, "[[(1 2) 3 (3 4)] 6 [(6 7) 8 (8 9)]]"},
        Case{"FirstEntryOfTheLeftmostLeafChangesNoSeparator", "[(1 2 3) 4 (4 5)]", 1,
             "[(2 3) 4 (4 5)]"},
        // Step 2: still at least half full.
        Case{"NoRebalanceAtHalfFill", "[(1 2 3) 4 (4 5)]", 3, "[(1 2) 4 (4 5)]"},
        // Steps 3-6.
        Case{"BorrowFromRight", "[(1 2) 3 (3 4 5)]", 1, "[(2 3) 4 (4 5)]"},
        Case{"BorrowFromLeft", "[(1 2 3) 4 (4 5)]", 5, "[(1 2) 3 (3 4)]"},
        Case{"BorrowPrefersTheRightSibling", "[(1 2 3) 4 (4 5) 6 (6 7 8)]", 5,
             "[(1 2 3) 4 (4 6) 7 (7 8)]"},
        Case{"MergeRightSiblingIntoTheLeaf", "[(1 2) 3 (3 4) 5 (5 6)]", 1, "[(2 3 4) 5 (5 6)]"},
        Case{"MergeTheLeafIntoItsLeftSibling", "[(1 2) 3 (3 4) 5 (5 6)]", 6, "[(1 2) 3 (3 4 5)]"},
        Case{"MergePrefersTheRightSibling", "[(1 2) 3 (3 4) 5 (5 6)]", 4, "[(1 2) 3 (3 5 6)]"},
        Case{"MergeOfAFirstChildAfterItsFirstEntryWentAway", "[(1 2) 3 (3 4) 5 (5 6)]", 3,
             "[(1 2) 4 (4 5 6)]"},
        // Root collapse: the last two leaves merge, the root branch hands over.
        Case{"RootCollapsesToALeaf", "[(1 2) 3 (3 4)]", 1, "(2 3 4)"},
        // Branch rebalancing.
        Case{"BranchBorrowsFromRight", "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8) 9 (9 10)]]", 1,
             "[[(2 3 4) 5 (5 6)] 7 [(7 8) 9 (9 10)]]"},
        Case{"BranchBorrowsFromLeft", "[[(1 2) 3 (3 4) 5 (5 6)] 7 [(7 8) 9 (9 10)]]", 10,
             "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8 9)]]"},
        Case{"BranchMergesRightAndRootCollapses", "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)]]", 1,
             "[(2 3 4) 5 (5 6) 7 (7 8)]"},
        Case{"BranchMergesIntoLeftAndRootCollapses", "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)]]", 8,
             "[(1 2) 3 (3 4) 5 (5 6 7)]"},
        Case{"BranchMergeKeepsTheRootWhenItHasOtherChildren",
             "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)] 9 [(9 10) 11 (11 12)]]", 6,
             "[[(1 2) 3 (3 4)] 5 [(5 7 8) 9 (9 10) 11 (11 12)]]"},
        // Four levels: the refreshed separator lives in the root; the branch merges below it
        // must not overwrite it (SPEC.md §10.6).
        Case{"FourLevelMergesLeaveAncestorSeparatorsAlone",
             "[[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)]] 9 [[(9 10) 11 (11 12)] 13 "
             "[(13 14) 15 (15 16)]]]",
             9, "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)] 10 [(10 11 12) 13 (13 14) 15 (15 16)]]"},
        Case{"FourLevelMergeIntoLeftBranch",
             "[[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)]] 9 [[(9 10) 11 (11 12)] 13 "
             "[(13 14) 15 (15 16)]]]",
             16, "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)] 9 [(9 10) 11 (11 12) 13 (13 14 15)]]"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(BPlusTree, RootCollapseDeletesTheOldRootAndRepointsTheTrunk) {
  test::MemoryBlockStore store;
  BT_ASSIGN_OR_FAIL(auto tree, test::BuildTree(store, "[(1 2) 3 (3 4)]", 4));
  BT_ASSIGN_OR_FAIL(block::BlockId old_root, tree.trunk().GetRootId());
  BT_ASSIGN_OR_FAIL(Path path, tree.Find(4));
  BT_ASSERT_OK(tree.DeleteAt(path));
  BT_ASSIGN_OR_FAIL(block::BlockId new_root, tree.trunk().GetRootId());
  EXPECT_NE(new_root, old_root);
  EXPECT_FALSE(store.Contains(old_root));
  EXPECT_EQ(store.size(), 2u);  // trunk + the remaining leaf
  EXPECT_EQ(Dump(tree), "(1 2 3)");
}

}  // namespace
}  // namespace optimystic::btree
