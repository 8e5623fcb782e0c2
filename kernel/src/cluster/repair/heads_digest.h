// SPDX-License-Identifier: Apache-2.0
// What two replicas compare in anti-entropy (SPEC.md §7.5): the heads (latest committed revision)
// of the blocks both hold by placement, split into ranges of the ring ("buckets"), each range
// summed up in one digest. Both sides compute them the same way from their own heads, so a bucket
// whose digests differ holds a block one of them is behind on (or lacks).
// A bucket's digest is the SHA-256, in base32, of "<block id>\0<rev>\0<action id>\n" (rev in
// decimal) for each of its heads in block id order; "" for a bucket without heads.
// Thread-safety: pure functions.
// Errors: SharedHeads fails as `cluster_for` does (Unavailable while the cluster forms).
#pragma once

#include <optimystic/base/result.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/repository/repository.h"

namespace optimystic::cluster::repair {

using core::repository::BlockHead;

// The peers holding a block, as this node places it.
using ClusterForFn = std::function<Result<std::vector<std::string>>(const block::BlockId&)>;

// The bucket of `buckets` (> 0) that `block_id` falls in: the first 8 bytes of its ring
// coordinate as a big-endian number, scaled to [0, buckets).
uint32_t BucketOf(const block::BlockId& block_id, uint32_t buckets);

// The heads among `heads` whose block's cluster holds both `self` and `peer`, in their order.
Result<std::vector<BlockHead>> SharedHeads(const std::vector<BlockHead>& heads,
                                           const std::string& self, const std::string& peer,
                                           const ClusterForFn& cluster_for);

// One digest per bucket of `shared` (sorted by block id).
std::vector<std::string> DigestHeads(const std::vector<BlockHead>& shared, uint32_t buckets);

// The heads of `shared` in the buckets `of`.
std::vector<BlockHead> HeadsIn(const std::vector<BlockHead>& shared, uint32_t buckets,
                               const std::vector<uint32_t>& of);

}  // namespace optimystic::cluster::repair
