// SPDX-License-Identifier: Apache-2.0
// ParallelFor: runs fn(0), ..., fn(n - 1) at once and returns when all have: the first on the
// calling thread, each other on its own thread. For fanning one request out to a few peers (a
// cluster is a handful of them), where a call mostly waits on the network.
// Thread-safety: `fn` is called from several threads at once.
#pragma once

#include <cstddef>
#include <functional>

namespace optimystic::cluster::network {

void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

}  // namespace optimystic::cluster::network
