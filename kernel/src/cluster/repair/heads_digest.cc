// SPDX-License-Identifier: Apache-2.0
#include "cluster/repair/heads_digest.h"

#include <optimystic/base/base32.h>
#include <optimystic/block/codec.h>

#include <algorithm>

#include "cluster/ring/ring.h"

namespace optimystic::cluster::repair {

uint32_t BucketOf(const block::BlockId& block_id, uint32_t buckets) {
  const ring::Coordinate at = ring::BlockCoordinate(block_id);
  uint64_t prefix = 0;
  for (int i = 0; i < 8; ++i) {
    prefix = (prefix << 8) | at[i];
  }
  return static_cast<uint32_t>((static_cast<unsigned __int128>(prefix) * buckets) >> 64);
}

Result<std::vector<BlockHead>> SharedHeads(const std::vector<BlockHead>& heads,
                                           const std::string& self, const std::string& peer,
                                           const ClusterForFn& cluster_for) {
  std::vector<BlockHead> shared;
  for (const BlockHead& head : heads) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> cluster, cluster_for(head.block_id));
    const auto holds = [&cluster](const std::string& id) {
      return std::find(cluster.begin(), cluster.end(), id) != cluster.end();
    };
    if (holds(self) && holds(peer)) {
      shared.push_back(head);
    }
  }
  return shared;
}

std::vector<std::string> DigestHeads(const std::vector<BlockHead>& shared, uint32_t buckets) {
  std::vector<std::string> text(buckets);
  for (const BlockHead& head : shared) {
    std::string& bucket = text[BucketOf(head.block_id, buckets)];
    bucket.append(head.block_id);
    bucket.push_back('\0');
    bucket.append(std::to_string(head.latest.rev));
    bucket.push_back('\0');
    bucket.append(head.latest.action_id);
    bucket.push_back('\n');
  }
  std::vector<std::string> digests(buckets);
  for (uint32_t b = 0; b < buckets; ++b) {
    if (!text[b].empty()) {
      const std::array<uint8_t, 32> digest = block::Sha256(text[b]);
      digests[b] = base::Base32Encode(
          std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
    }
  }
  return digests;
}

std::vector<BlockHead> HeadsIn(const std::vector<BlockHead>& shared, uint32_t buckets,
                               const std::vector<uint32_t>& of) {
  std::vector<BlockHead> out;
  for (const BlockHead& head : shared) {
    if (std::find(of.begin(), of.end(), BucketOf(head.block_id, buckets)) != of.end()) {
      out.push_back(head);
    }
  }
  return out;
}

}  // namespace optimystic::cluster::repair
