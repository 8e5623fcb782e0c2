// SPDX-License-Identifier: Apache-2.0
#include "ratio_reporter.h"

#include <algorithm>

namespace optimystic::bench {
namespace {

// "812 ns", "43.1 us", "2.51 ms".
std::string FormatNs(double ns) {
  char buffer[32];
  if (ns < 1e3) {
    std::snprintf(buffer, sizeof(buffer), "%.0f ns", ns);
  } else if (ns < 1e6) {
    std::snprintf(buffer, sizeof(buffer), "%.1f us", ns / 1e3);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.2f ms", ns / 1e6);
  }
  return buffer;
}

// "812", "43.1k", "2.51M".
std::string FormatRate(double per_second) {
  char buffer[32];
  if (per_second < 1e3) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", per_second);
  } else if (per_second < 1e6) {
    std::snprintf(buffer, sizeof(buffer), "%.1fk", per_second / 1e3);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.2fM", per_second / 1e6);
  }
  return buffer;
}

}  // namespace

bool RatioReporter::ReportContext(const Context& context) {
  return display_.ReportContext(context);
}

void RatioReporter::ReportRuns(const std::vector<Run>& reports) {
  for (const Run& run : reports) {
    if (run.error_occurred || run.iterations == 0) {
      continue;
    }
    const double to_ns = 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
    const Times times{run.GetAdjustedRealTime() * to_ns, run.GetAdjustedCPUTime() * to_ns};
    const std::string& name = run.run_name.function_name;
    if (run.run_type == Run::RT_Iteration) {
      Totals& totals = totals_[name];
      totals.sum.real_ns += times.real_ns;
      totals.sum.cpu_ns += times.cpu_ns;
      totals.runs += 1;
    } else if (run.aggregate_name == "mean") {
      means_[name] = times;
    }
  }
  display_.ReportRuns(reports);
}

std::optional<RatioReporter::Times> RatioReporter::MeanOf(const std::string& name) const {
  if (auto it = totals_.find(name); it != totals_.end() && it->second.runs > 0) {
    return Times{it->second.sum.real_ns / it->second.runs, it->second.sum.cpu_ns / it->second.runs};
  }
  if (auto it = means_.find(name); it != means_.end()) {
    return it->second;
  }
  return std::nullopt;
}

void RatioReporter::Finalize() { display_.Finalize(); }

void RatioReporter::PrintRatios(const std::vector<RatioRow>& rows, std::FILE* out) const {
  size_t width = 0;
  for (const RatioRow& row : rows) {
    width = std::max(width, row.what.size() + 4 + row.baseline_label.size());
  }
  // Time rows, then throughput rows, each table with its header once a row of it ran.
  for (const bool throughput : {false, true}) {
    bool header = false;
    for (const RatioRow& row : rows) {
      if ((row.items_per_iteration > 0) != throughput) {
        continue;
      }
      const std::optional<Times> ours = MeanOf(row.ours);
      const std::optional<Times> base = MeanOf(row.baseline);
      if (!ours || !base) {
        continue;
      }
      if (!header) {
        std::fprintf(out, throughput ? "\nOptimystic throughput / baseline throughput, same run "
                                       "(wall; thread CPU)\n"
                                     : "\nOptimystic time / baseline time, per iteration, same "
                                       "run (wall; thread CPU)\n");
        header = true;
      }
      const std::string label = row.what + " vs " + row.baseline_label + ":";
      char figures[64];
      double wall = 0;
      double cpu = 0;
      if (throughput) {
        wall = base->real_ns / ours->real_ns;
        cpu = base->cpu_ns / ours->cpu_ns;
        std::snprintf(figures, sizeof(figures), "(%s vs %s %s)",
                      FormatRate(row.items_per_iteration * 1e9 / ours->real_ns).c_str(),
                      FormatRate(row.items_per_iteration * 1e9 / base->real_ns).c_str(),
                      row.items_unit.c_str());
      } else {
        wall = ours->real_ns / base->real_ns;
        cpu = ours->cpu_ns / base->cpu_ns;
        std::snprintf(figures, sizeof(figures), "(%s vs %s)", FormatNs(ours->real_ns).c_str(),
                      FormatNs(base->real_ns).c_str());
      }
      std::fprintf(out, "%-*s %7.2fx  %-22s  cpu %6.2fx\n", static_cast<int>(width + 1),
                   label.c_str(), wall, figures, cpu);
    }
  }
  std::fflush(out);
}

}  // namespace optimystic::bench
