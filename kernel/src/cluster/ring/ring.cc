// SPDX-License-Identifier: Apache-2.0
#include "cluster/ring/ring.h"

#include <optimystic/block/codec.h>

#include <algorithm>
#include <set>
#include <utility>

namespace optimystic::cluster::ring {

namespace {

// The fraction of the ring from `from` to `to` clockwise (0 < result <= 1 when from == to).
double Arc(const Coordinate& from, const Coordinate& to) {
  // The top 64 bits are plenty for a share; borrow across the wrap is the modular difference.
  uint64_t a = 0;
  uint64_t b = 0;
  for (size_t i = 0; i < 8; ++i) {
    a = (a << 8) | from[i];
    b = (b << 8) | to[i];
  }
  const uint64_t d = b - a;  // modulo 2^64
  return d == 0 ? 1.0 : static_cast<double>(d) / 18446744073709551616.0;
}

}  // namespace

Coordinate BlockCoordinate(std::string_view block_id) { return block::Sha256(block_id); }

Result<Ring> Ring::Create(std::vector<RingPeer> peers, size_t virtual_nodes) {
  if (virtual_nodes == 0 || virtual_nodes > kMaxVirtualNodes) {
    return Status::InvalidArgument("ring: virtual nodes " + std::to_string(virtual_nodes) +
                                   " out of range [1, " + std::to_string(kMaxVirtualNodes) + "]");
  }
  std::set<std::string_view> seen;
  for (const RingPeer& peer : peers) {
    if (peer.peer_id.empty()) {
      return Status::InvalidArgument("ring: empty peer id");
    }
    if (!seen.insert(peer.peer_id).second) {
      return Status::InvalidArgument("ring: peer " + peer.peer_id + " listed twice");
    }
  }
  std::vector<Point> points;
  points.reserve(peers.size() * virtual_nodes);
  for (uint32_t p = 0; p < peers.size(); ++p) {
    for (size_t i = 0; i < virtual_nodes; ++i) {
      points.push_back(Point{block::Sha256(peers[p].peer_id + "#" + std::to_string(i)), p});
    }
  }
  // Ties (a SHA-256 collision) are broken by peer id, so the order never depends on input order.
  std::sort(points.begin(), points.end(), [&](const Point& x, const Point& y) {
    return x.at != y.at ? x.at < y.at : peers[x.peer].peer_id < peers[y.peer].peer_id;
  });
  return Ring(std::move(peers), virtual_nodes, std::move(points));
}

std::vector<std::string> Ring::ClusterFor(std::string_view block_id, size_t replication) const {
  return ClusterAt(BlockCoordinate(block_id), replication);
}

std::vector<std::string> Ring::ClusterAt(const Coordinate& coordinate, size_t replication) const {
  std::vector<std::string> out;
  if (points_.empty() || replication == 0) {
    return out;
  }
  // The first point at or after the coordinate, wrapping to the start.
  auto start = std::lower_bound(points_.begin(), points_.end(), coordinate,
                                [](const Point& p, const Coordinate& c) { return p.at < c; });
  const size_t first = static_cast<size_t>(start - points_.begin());
  std::vector<bool> taken(peers_.size(), false);
  for (size_t k = 0; k < points_.size() && out.size() < replication; ++k) {
    const Point& point = points_[(first + k) % points_.size()];
    if (taken[point.peer] || !peers_[point.peer].live) {
      continue;
    }
    taken[point.peer] = true;
    out.push_back(peers_[point.peer].peer_id);
  }
  return out;
}

std::map<std::string, double> Ring::Ownership() const {
  std::map<std::string, double> share;
  std::vector<const Point*> live;
  for (const Point& point : points_) {
    if (peers_[point.peer].live) {
      live.push_back(&point);
    }
  }
  for (size_t i = 0; i < live.size(); ++i) {
    // A point owns the arc from its predecessor (exclusive) up to itself.
    const Point& previous = *live[(i + live.size() - 1) % live.size()];
    share[peers_[live[i]->peer].peer_id] += live.size() == 1 ? 1.0 : Arc(previous.at, live[i]->at);
  }
  return share;
}

}  // namespace optimystic::cluster::ring
