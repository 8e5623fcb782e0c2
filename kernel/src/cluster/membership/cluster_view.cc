// SPDX-License-Identifier: Apache-2.0
#include "cluster/membership/cluster_view.h"

#include <algorithm>
#include <map>

namespace optimystic::cluster::membership {

block::Value DescribeCluster(const ring::Ring& ring, const std::vector<Member>& members,
                             uint32_t replication, const std::vector<std::string>& seeds) {
  const std::map<std::string, double> ownership = ring.Ownership();
  std::vector<const Member*> sorted;
  for (const Member& m : members) sorted.push_back(&m);
  std::sort(sorted.begin(), sorted.end(),
            [](const Member* a, const Member* b) { return a->peer_id < b->peer_id; });
  block::Value list = block::Value::array();
  for (const Member* m : sorted) {
    auto share = ownership.find(m->peer_id);
    list.push_back(block::Value{{"peerId", m->peer_id},
                                {"publicKey", m->public_key},
                                {"url", m->url},
                                {"state", m->up ? "up" : "down"},
                                {"role", std::string(wire::MemberRoleName(m->role))},
                                {"self", m->self},
                                {"ownership", share == ownership.end() ? 0.0 : share->second}});
  }
  block::Value seed_list = block::Value::array();
  for (const std::string& seed : seeds) seed_list.push_back(seed);
  return block::Value{{"replication", replication},
                      {"virtualNodes", ring.virtual_nodes()},
                      {"seeds", std::move(seed_list)},
                      {"members", std::move(list)}};
}

}  // namespace optimystic::cluster::membership
