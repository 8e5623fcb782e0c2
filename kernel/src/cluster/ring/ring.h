// SPDX-License-Identifier: Apache-2.0
// Ring: consistent-hash placement of blocks on peers (DESIGN.md §7, SPEC.md §7.2). A block's
// coordinate is SHA-256(UTF-8(block id)), the one derivation used everywhere (BlockCoordinate).
// Each peer stands at `virtual_nodes` points, SHA-256 of "<peer id>#<i>", so that load evens
// out. A block's cluster is the first `replication` distinct live peers met clockwise from its
// coordinate (wrapping around); its coordinator is the first reachable of them, which the
// caller picks from the cluster in order. Coordinates compare as 256-bit big-endian numbers.
// A Ring is a value: membership changes build a new one. Placement is a pure function of the
// peer ids, their liveness, the virtual-node count and the block id.
// Thread-safety: immutable after construction; any number of threads may read one Ring.
// Errors: Create refuses an empty or duplicate peer id and a virtual-node count outside
// [1, kMaxVirtualNodes] (InvalidArgument naming it).
#pragma once

#include <optimystic/base/result.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::cluster::ring {

using Coordinate = std::array<uint8_t, 32>;

inline constexpr size_t kDefaultVirtualNodes = 128;
inline constexpr size_t kMaxVirtualNodes = 4096;

// SHA-256(UTF-8(block id)).
Coordinate BlockCoordinate(std::string_view block_id);

struct RingPeer {
  std::string peer_id;
  bool live = true;  // a peer marked down keeps its place but takes no blocks
};

class Ring final {
 public:
  static Result<Ring> Create(std::vector<RingPeer> peers,
                             size_t virtual_nodes = kDefaultVirtualNodes);

  // The first `replication` distinct live peers clockwise from the block's coordinate; fewer
  // when fewer are live, none when none is.
  std::vector<std::string> ClusterFor(std::string_view block_id, size_t replication) const;
  // The same from a coordinate.
  std::vector<std::string> ClusterAt(const Coordinate& coordinate, size_t replication) const;

  // Each live peer's share of the ring it is first for (the arcs ending at its points), summing
  // to 1 when any peer is live: what `optimystic status` shows as ring ownership.
  std::map<std::string, double> Ownership() const;

  const std::vector<RingPeer>& peers() const noexcept { return peers_; }
  size_t virtual_nodes() const noexcept { return virtual_nodes_; }

 private:
  struct Point {
    Coordinate at;
    uint32_t peer;  // index into peers_
  };
  Ring(std::vector<RingPeer> peers, size_t virtual_nodes, std::vector<Point> points)
      : peers_(std::move(peers)), virtual_nodes_(virtual_nodes), points_(std::move(points)) {}

  std::vector<RingPeer> peers_;
  size_t virtual_nodes_;
  std::vector<Point> points_;  // sorted by coordinate
};

}  // namespace optimystic::cluster::ring
