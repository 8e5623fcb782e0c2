// SPDX-License-Identifier: Apache-2.0
// The Tree collection benchmarks (issue 6): inserts of new entries through the collection
// engine's ActAndSync (one Tree "replace" action of N [key, entry] pairs per call) on a
// Repository over the rocksdb storage engine with sync, through a LocalTransactor, with the tree
// type of plugins/collections/tree; next to raw RocksDB WriteBatches (WriteOptions::sync) of the
// same key/entry bytes, N puts per batch, in the same run. N is 1, 10 and 100. Both sides run a
// fixed number of commits per run (`commits`), so they write the same entries.
// The engine side also measures where a commit's cost goes: a counting StorageEngine decorator
// counts the synced writes and bytes of each step (pend, header commit, log-tail commit, commit
// of the rest, promotions during gets), and steady-clock sections (exclusive time, nested calls
// subtracted) split the wall time between the engine writes (RocksDB write + WAL fsync), the
// repository's pend and commit work, transactor gets, the B+tree apply (the type's
// ValidateAction/ApplyAction) and the collection engine itself (log append, staging, cache).
// PrintBreakdown prints those per-commit means after the run.
// Thread-safety: registration, runs and PrintBreakdown happen on Google Benchmark's one thread.
// Errors: a failed step ends that benchmark with SkipWithError and its status; so does a tree
// whose entry count at the end is not the number inserted.
#pragma once

#include "ratio_reporter.h"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdio>
#include <memory>
#include <vector>

namespace optimystic::bench {

struct TreeCollectionBenchOptions {
  size_t commits = 200;  // ActAndSync calls (or raw batches) per run, after one untimed warm-up
};

// Owns the options and the breakdowns collected by the runs: keep it alive until
// PrintBreakdown.
class TreeCollectionBenchmarks final {
 public:
  explicit TreeCollectionBenchmarks(TreeCollectionBenchOptions options);
  ~TreeCollectionBenchmarks();
  TreeCollectionBenchmarks(const TreeCollectionBenchmarks&) = delete;
  TreeCollectionBenchmarks& operator=(const TreeCollectionBenchmarks&) = delete;

  // Registers BM_TreeActSync/<N> and BM_RawRocksDbTreeBatch/<N> for N in 1, 10, 100 (fixed
  // iterations, wall time, milliseconds).
  std::vector<benchmark::internal::Benchmark*> Register();
  // The throughput rows (entries/s of the engine / entries/s of raw RocksDB) of the ratio table.
  static std::vector<RatioRow> Ratios();
  // Writes the per-commit cost breakdown of every batch size that ran; nothing when none ran.
  void PrintBreakdown(std::FILE* out) const;

 private:
  struct Data;
  std::unique_ptr<Data> data_;
};

}  // namespace optimystic::bench
