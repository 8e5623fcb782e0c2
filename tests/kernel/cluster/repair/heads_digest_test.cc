// SPDX-License-Identifier: Apache-2.0
// The digests anti-entropy compares: a bucket's digest changes with any head in it and only
// with those, both sides agree on the shared set, and buckets cover the ring evenly.
#include "cluster/repair/heads_digest.h"

#include <gtest/gtest.h>

#include <map>

namespace optimystic::cluster::repair {
namespace {

BlockHead Head(const std::string& id, uint64_t rev, const std::string& action = "a") {
  return BlockHead{id, transactor::ActionRev{action, rev}};
}

TEST(HeadsDigest, BucketsSpreadBlocksOverTheRing) {
  std::map<uint32_t, int> counts;
  for (int i = 0; i < 4000; ++i) {
    const uint32_t bucket = BucketOf("block-" + std::to_string(i), 8);
    ASSERT_LT(bucket, 8u);
    ++counts[bucket];
  }
  ASSERT_EQ(counts.size(), 8u);
  for (const auto& [bucket, n] : counts) {
    EXPECT_GT(n, 350) << "bucket " << bucket;  // 500 expected each
    EXPECT_LT(n, 650) << "bucket " << bucket;
  }
  EXPECT_EQ(BucketOf("x", 1), 0u);
}

TEST(HeadsDigest, ADigestChangesWithItsBucketsHeadsOnly) {
  std::vector<BlockHead> heads = {Head("b1", 1), Head("b2", 3), Head("b3", 2), Head("b4", 7)};
  const std::vector<std::string> before = DigestHeads(heads, 16);
  ASSERT_EQ(before.size(), 16u);
  EXPECT_EQ(before, DigestHeads(heads, 16));  // deterministic

  std::vector<BlockHead> moved = heads;
  moved[1].latest.rev = 4;
  const std::vector<std::string> after = DigestHeads(moved, 16);
  const uint32_t bucket = BucketOf("b2", 16);
  for (uint32_t b = 0; b < 16; ++b) {
    if (b == bucket) {
      EXPECT_NE(after[b], before[b]);
    } else {
      EXPECT_EQ(after[b], before[b]) << "bucket " << b;
    }
  }
  std::vector<BlockHead> other_action = heads;
  other_action[1].latest.action_id = "other";
  EXPECT_NE(DigestHeads(other_action, 16)[bucket], before[bucket]);

  // A bucket without heads digests to "", one with heads never does.
  size_t empty = 0;
  for (uint32_t b = 0; b < 16; ++b) {
    const bool has = BucketOf("b1", 16) == b || BucketOf("b2", 16) == b ||
                     BucketOf("b3", 16) == b || BucketOf("b4", 16) == b;
    EXPECT_EQ(before[b].empty(), !has) << "bucket " << b;
    empty += before[b].empty() ? 1 : 0;
  }
  EXPECT_GE(empty, 12u);
}

TEST(HeadsDigest, SharedHeadsAreThoseBothPeersHold) {
  const std::map<std::string, std::vector<std::string>> placement = {
      {"b1", {"p1", "p2"}}, {"b2", {"p2", "p3"}}, {"b3", {"p1", "p3", "p2"}}};
  ClusterForFn cluster_for = [&](const block::BlockId& id) -> Result<std::vector<std::string>> {
    return placement.at(id);
  };
  const std::vector<BlockHead> heads = {Head("b1", 1), Head("b2", 1), Head("b3", 1)};
  auto shared = SharedHeads(heads, "p1", "p2", cluster_for);
  ASSERT_TRUE(shared) << shared.error().ToString();
  ASSERT_EQ(shared->size(), 2u);
  EXPECT_EQ((*shared)[0].block_id, "b1");
  EXPECT_EQ((*shared)[1].block_id, "b3");
  // b3's bucket holds b3, and b1 only if the two share it.
  const std::vector<BlockHead> in = HeadsIn(*shared, 4, {BucketOf("b3", 4)});
  const bool together = BucketOf("b1", 4) == BucketOf("b3", 4);
  ASSERT_EQ(in.size(), together ? 2u : 1u);
  EXPECT_EQ(in.back().block_id, "b3");

  ClusterForFn forming = [](const block::BlockId&) -> Result<std::vector<std::string>> {
    return Status::Unavailable("the cluster is forming");
  };
  auto refused = SharedHeads(heads, "p1", "p2", forming);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace optimystic::cluster::repair
