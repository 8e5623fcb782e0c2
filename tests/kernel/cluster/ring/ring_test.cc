// SPDX-License-Identifier: Apache-2.0
#include "cluster/ring/ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace optimystic::cluster::ring {
namespace {

std::vector<RingPeer> Peers(int n, const std::string& prefix = "peer-") {
  std::vector<RingPeer> peers;
  for (int i = 0; i < n; ++i) peers.push_back(RingPeer{prefix + std::to_string(i), true});
  return peers;
}

Ring Make(std::vector<RingPeer> peers, size_t virtual_nodes = kDefaultVirtualNodes) {
  Result<Ring> ring = Ring::Create(std::move(peers), virtual_nodes);
  EXPECT_TRUE(ring.has_value()) << ring.status().ToString();
  return std::move(*ring);
}

std::string BlockId(int i) { return "block-" + std::to_string(i); }

// How many of `blocks` block ids each peer is first for.
std::map<std::string, int> Load(const Ring& ring, int blocks) {
  std::map<std::string, int> load;
  for (int i = 0; i < blocks; ++i) ++load[ring.ClusterFor(BlockId(i), 1).at(0)];
  return load;
}

TEST(Ring, TheCoordinateIsSha256OfTheUtf8BlockId) {
  const Coordinate c = BlockCoordinate("abc");
  EXPECT_EQ(c[0], 0xba);
  EXPECT_EQ(c[1], 0x78);
  EXPECT_EQ(c[31], 0xad);
}

TEST(Ring, AClusterIsDistinctLivePeersAndPlacementIgnoresInputOrder) {
  std::vector<RingPeer> peers = Peers(7);
  const Ring ring = Make(peers);
  std::reverse(peers.begin(), peers.end());
  const Ring reversed = Make(peers);
  for (int i = 0; i < 500; ++i) {
    const std::vector<std::string> cluster = ring.ClusterFor(BlockId(i), 3);
    ASSERT_EQ(cluster.size(), 3u);
    EXPECT_EQ(std::set<std::string>(cluster.begin(), cluster.end()).size(), 3u);
    EXPECT_EQ(reversed.ClusterFor(BlockId(i), 3), cluster) << BlockId(i);
    // The first of a larger cluster is the same: clusters nest.
    EXPECT_EQ(ring.ClusterFor(BlockId(i), 5).front(), cluster.front());
  }
  EXPECT_EQ(ring.ClusterFor("x", 10).size(), 7u) << "replication above the peer count: all";
  EXPECT_TRUE(ring.ClusterFor("x", 0).empty());
  EXPECT_TRUE(Make({}).ClusterFor("x", 3).empty());
}

TEST(Ring, ADownPeerIsSkippedAndOnlyItsBlocksMove) {
  std::vector<RingPeer> peers = Peers(10);
  const Ring up = Make(peers);
  peers[4].live = false;
  const Ring down = Make(peers);
  int moved = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::vector<std::string> before = up.ClusterFor(BlockId(i), 3);
    const std::vector<std::string> after = down.ClusterFor(BlockId(i), 3);
    EXPECT_EQ(std::count(after.begin(), after.end(), "peer-4"), 0);
    if (std::find(before.begin(), before.end(), "peer-4") == before.end()) {
      EXPECT_EQ(after, before) << "a cluster without the down peer must not change";
    } else {
      ++moved;
      // The survivors keep their order; the next live peer clockwise fills in.
      std::vector<std::string> kept;
      for (const std::string& p : before) {
        if (p != "peer-4") kept.push_back(p);
      }
      EXPECT_TRUE(std::equal(kept.begin(), kept.end(), after.begin()));
    }
  }
  EXPECT_GT(moved, 0);
  peers.assign(3, RingPeer{});
  peers = Peers(3);
  for (RingPeer& p : peers) p.live = false;
  EXPECT_TRUE(Make(peers).ClusterFor("x", 2).empty());
}

TEST(Ring, AJoiningPeerTakesAboutItsShareAndNothingElseMoves) {
  const Ring before = Make(Peers(20));
  std::vector<RingPeer> more = Peers(20);
  more.push_back(RingPeer{"newcomer", true});
  const Ring after = Make(more);
  constexpr int kBlocks = 20000;
  int moved = 0;
  for (int i = 0; i < kBlocks; ++i) {
    const std::string a = before.ClusterFor(BlockId(i), 1).at(0);
    const std::string b = after.ClusterFor(BlockId(i), 1).at(0);
    if (a != b) {
      EXPECT_EQ(b, "newcomer") << "a block may move only to the peer that joined";
      ++moved;
    }
  }
  // 1/21 of the blocks is about 952.
  EXPECT_GT(moved, kBlocks / 21 / 2);
  EXPECT_LT(moved, kBlocks / 21 * 2);
}

TEST(Ring, VirtualNodesBalanceTheLoadOfAHundredPeers) {
  constexpr int kPeers = 100;
  constexpr int kBlocks = 100000;
  auto max_over_mean = [&](size_t virtual_nodes) {
    const std::map<std::string, int> load = Load(Make(Peers(kPeers), virtual_nodes), kBlocks);
    int max = 0;
    for (const auto& [peer, n] : load) max = std::max(max, n);
    return static_cast<double>(max) / (static_cast<double>(kBlocks) / kPeers);
  };
  const double balanced = max_over_mean(kDefaultVirtualNodes);
  EXPECT_LE(balanced, 1.3);
  // Without virtual nodes one point per peer leaves arcs very uneven: why they exist.
  EXPECT_GT(max_over_mean(1), 2.0);
  std::printf("max/mean load over %d peers: %.3f with %zu virtual nodes, %.3f with 1\n", kPeers,
              balanced, kDefaultVirtualNodes, max_over_mean(1));
}

TEST(Ring, OwnershipSumsToOneOverLivePeers) {
  std::vector<RingPeer> peers = Peers(5);
  peers[2].live = false;
  const std::map<std::string, double> share = Make(peers).Ownership();
  EXPECT_EQ(share.size(), 4u);
  EXPECT_EQ(share.count("peer-2"), 0u);
  double total = 0;
  for (const auto& [peer, s] : share) {
    EXPECT_GT(s, 0.1) << peer;
    total += s;
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_NEAR(Make(Peers(1)).Ownership().at("peer-0"), 1.0, 1e-9);
}

TEST(Ring, CreateRefusesBadInput) {
  EXPECT_EQ(Ring::Create({RingPeer{"", true}}).status().ToString(),
            "InvalidArgument: ring: empty peer id");
  EXPECT_EQ(Ring::Create({RingPeer{"a", true}, RingPeer{"a", false}}).status().ToString(),
            "InvalidArgument: ring: peer a listed twice");
  EXPECT_EQ(Ring::Create(Peers(2), 0).status().ToString(),
            "InvalidArgument: ring: virtual nodes 0 out of range [1, 4096]");
  EXPECT_FALSE(Ring::Create(Peers(2), kMaxVirtualNodes + 1).has_value());
}

}  // namespace
}  // namespace optimystic::cluster::ring
