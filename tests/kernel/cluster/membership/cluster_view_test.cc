// SPDX-License-Identifier: Apache-2.0
#include "cluster/membership/cluster_view.h"

#include <gtest/gtest.h>

namespace optimystic::cluster::membership {
namespace {

using block::Value;

TEST(ClusterView, DescribesSettingsAndMembersWithTheirShareOfTheRing) {
  Result<ring::Ring> ring = ring::Ring::Create(
      {ring::RingPeer{"b", true}, ring::RingPeer{"a", true}, ring::RingPeer{"c", false}}, 64);
  ASSERT_TRUE(ring.has_value());
  const Value view =
      DescribeCluster(*ring,
                      {Member{"b", "kb", true, true, ""}, Member{"a", "ka", true, false, ""},
                       Member{"c", "kc", false, false, ""}},
                      3, {"tcp://10.0.0.1:7400"});
  EXPECT_EQ(view["replication"], 3);
  EXPECT_EQ(view["virtualNodes"], 64);
  EXPECT_EQ(view["seeds"], Value::array({"tcp://10.0.0.1:7400"}));
  ASSERT_EQ(view["members"].size(), 3u);
  EXPECT_EQ(view["members"][0]["peerId"], "a") << "sorted by peer id";
  EXPECT_EQ(view["members"][1]["self"], true);
  EXPECT_EQ(view["members"][1]["publicKey"], "kb");
  EXPECT_EQ(view["members"][2]["state"], "down");
  EXPECT_EQ(view["members"][2]["ownership"], 0.0) << "a down member owns nothing";
  const double a = view["members"][0]["ownership"].get<double>();
  const double b = view["members"][1]["ownership"].get<double>();
  EXPECT_GT(a, 0.2);
  EXPECT_GT(b, 0.2);
  EXPECT_NEAR(a + b, 1.0, 1e-9);
}

TEST(ClusterView, ASingleNodeOwnsTheWholeRing) {
  Result<ring::Ring> ring = ring::Ring::Create({ring::RingPeer{"self", true}});
  ASSERT_TRUE(ring.has_value());
  const Value view = DescribeCluster(*ring, {Member{"self", "k", true, true, ""}}, 1, {});
  EXPECT_EQ(view["seeds"], Value::array());
  EXPECT_NEAR(view["members"][0]["ownership"].get<double>(), 1.0, 1e-9);
}

}  // namespace
}  // namespace optimystic::cluster::membership
