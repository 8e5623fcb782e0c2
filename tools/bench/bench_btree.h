// SPDX-License-Identifier: Apache-2.0
// The B+tree benchmarks (issue 4): random inserts, point lookups and a full ascending scan of an
// int64 keyset B+tree of capacity 64 over an in-memory block store, each next to the same work
// on a std::map in the same run. One benchmark iteration is the whole workload of `entries`
// operations (1M by default), so the ratio of two iteration times is the ratio of the per-op
// costs; each benchmark also reports `time_per_op`. The tree is made with BTree::Create (each
// mutation in its own atomic scope, as a collection uses it) and, for the profile, with
// BTree::Bind (no atomic scope) to show what the scope costs.
// Thread-safety: registration and runs happen on Google Benchmark's one thread.
// Errors: a failed tree operation ends that benchmark with SkipWithError and its status.
#pragma once

#include "ratio_reporter.h"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace optimystic::bench {

struct BTreeBenchOptions {
  size_t entries = 1'000'000;  // keys inserted, looked up and scanned
};

// Owns the options and the read benchmarks' data (a tree and a map of `entries` keys, built on
// first use), which must outlive the run: keep this object alive until the benchmarks are done.
class BTreeBenchmarks final {
 public:
  explicit BTreeBenchmarks(BTreeBenchOptions options);
  ~BTreeBenchmarks();
  BTreeBenchmarks(const BTreeBenchmarks&) = delete;
  BTreeBenchmarks& operator=(const BTreeBenchmarks&) = delete;

  // Registers the B+tree and std::map benchmarks (one iteration each, milliseconds).
  std::vector<benchmark::internal::Benchmark*> Register();
  // The (B+tree, std::map) pairs of the ratio table.
  static std::vector<RatioRow> Ratios();

 private:
  struct Data;
  std::unique_ptr<Data> data_;
};

}  // namespace optimystic::bench
