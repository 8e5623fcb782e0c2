// SPDX-License-Identifier: Apache-2.0
#include "cluster/network/parallel_for.h"

#include <future>
#include <vector>

namespace optimystic::cluster::network {

void ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  std::vector<std::future<void>> others;
  others.reserve(n > 0 ? n - 1 : 0);
  for (size_t i = 1; i < n; ++i) {
    others.push_back(std::async(std::launch::async, fn, i));
  }
  if (n > 0) {
    fn(0);
  }
  for (auto& f : others) {
    f.get();
  }
}

}  // namespace optimystic::cluster::network
