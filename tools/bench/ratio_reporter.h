// SPDX-License-Identifier: Apache-2.0
// RatioReporter: a display reporter that forwards every report to Google Benchmark's default one
// (so --benchmark_format and --benchmark_color behave as usual) and records the mean wall time
// and CPU time per iteration of each benchmark (by its registered name, over its runs; when only
// aggregates are reported, from the "mean" aggregate; runs that failed are left out). After the
// run, PrintRatios prints, for each (Optimystic, baseline) pair whose two benchmarks both ran, the
// Optimystic time divided by the baseline time: wall time (the headline), and the benchmark
// thread's CPU time beside it, which is steadier than wall time on a busy machine but leaves out
// time spent waiting for the disk. Rows that compare throughput (RatioRow::items_per_iteration)
// print in a second table, as Optimystic items/s over baseline items/s. Thread-safety: Google
// Benchmark calls a reporter from one thread; so must PrintRatios. Errors: none; a pair with a
// missing side is left out of the table.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace optimystic::bench {

// One line of the ratio table.
struct RatioRow {
  std::string what;            // e.g. "commit10 file(sync)"
  std::string ours;            // the Optimystic benchmark's registered name
  std::string baseline;        // the baseline's name, e.g. "BM_RawRocksDbBatch10"
  std::string baseline_label;  // e.g. "raw rocksdb(sync)"
  // When positive, the row compares throughput instead of time: both benchmarks process this
  // many items per iteration, and the row shows Optimystic items/s / baseline items/s (the
  // baseline time divided by the Optimystic time) with both rates in `items_unit`.
  double items_per_iteration = 0;
  std::string items_unit = {};  // e.g. "entries/s"
};

class RatioReporter final : public benchmark::BenchmarkReporter {
 public:
  // `display` must outlive the reporter (Google Benchmark keeps its default one for the process).
  explicit RatioReporter(benchmark::BenchmarkReporter& display) : display_(display) {}

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& reports) override;
  void Finalize() override;

  // Writes the tables of `rows` to `out`: time rows first, then throughput rows.
  void PrintRatios(const std::vector<RatioRow>& rows, std::FILE* out) const;

 private:
  // Per-iteration times in nanoseconds.
  struct Times {
    double real_ns = 0;  // wall time
    double cpu_ns = 0;   // CPU time of the benchmark thread
  };
  struct Totals {
    Times sum;  // over the runs
    int runs = 0;
  };

  // The mean times of benchmark `name`, or nullopt when it did not run.
  std::optional<Times> MeanOf(const std::string& name) const;

  benchmark::BenchmarkReporter& display_;
  std::map<std::string, Totals> totals_;  // by registered name: the individual runs
  std::map<std::string, Times> means_;    // by registered name: "mean" aggregates
};

}  // namespace optimystic::bench
