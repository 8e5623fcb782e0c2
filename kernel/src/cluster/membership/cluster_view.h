// SPDX-License-Identifier: Apache-2.0
// The cluster as a node reports it in node.status (docs/protocol.md): its replication, virtual
// nodes and seeds, and each member with its state and the share of the ring it is first for.
// The members are what the node's Membership knows (cluster/membership/membership.h).
// Thread-safety: pure functions.
#pragma once

#include <optimystic/block/value.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/ring/ring.h"
#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::membership {

struct Member {
  std::string peer_id;
  std::string public_key;  // Ed25519, base32
  bool up = true;
  bool self = false;  // the node that answers
  std::string url;    // where peers reach it
  wire::MemberRole role = wire::MemberRole::kActive;
};

// {"replication": n, "virtualNodes": n, "seeds": [url, ...], "members": [{"peerId", "publicKey",
// "url", "state": "up" | "down", "role": "active" | "joining" | "leaving" | "left" | "down", "self": bool,
// "ownership": 0..1}, ...]}, members sorted by peer id; a member the ring does not hold (joining
// or left), or holds as not live, owns 0.
block::Value DescribeCluster(const ring::Ring& ring, const std::vector<Member>& members,
                             uint32_t replication, const std::vector<std::string>& seeds);

}  // namespace optimystic::cluster::membership
