// SPDX-License-Identifier: Apache-2.0
// CliHost: the HostServices the CLI hands to the tcp transport it links directly (no plugin
// loading): the system clock, and a logger and metrics registry that keep nothing, since a
// command-line client has nowhere to publish them. Only errors the transport logs go to
// stderr: what went wrong with a request is already in its result, printed once. Thread-safety:
// every method may be called from any thread. Errors: none.
#pragma once

#include <optimystic/host/host_services.h>
#include <optimystic/logging/logger.h>
#include <optimystic/metrics/metrics.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/system_clock.h"

namespace optimystic::tools::cli {

class StderrLogger final : public logging::Logger {
 public:
  void Log(logging::LogLevel level, std::string_view message) noexcept override {
    if (Enabled(level)) {
      std::fprintf(stderr, "optimystic: %.*s\n", static_cast<int>(message.size()), message.data());
    }
  }
  bool Enabled(logging::LogLevel level) const noexcept override {
    return level >= logging::LogLevel::kError;
  }
};

class NullMetrics final : public metrics::MetricsRegistry {
 public:
  Result<metrics::Counter*> AddCounter(std::string_view, std::string_view,
                                       const metrics::Labels&) noexcept override {
    return &counter_;
  }
  Result<metrics::Gauge*> AddGauge(std::string_view, std::string_view,
                                   const metrics::Labels&) noexcept override {
    return &gauge_;
  }
  Result<metrics::Histogram*> AddHistogram(std::string_view, std::string_view,
                                           const metrics::Labels&,
                                           const std::vector<double>&) noexcept override {
    return &histogram_;
  }

 private:
  class NullCounter final : public metrics::Counter {
   public:
    void Increment(double) noexcept override {}
    double Value() const noexcept override { return 0; }
  };
  class NullGauge final : public metrics::Gauge {
   public:
    void Set(double) noexcept override {}
    void Increment(double) noexcept override {}
    void Decrement(double) noexcept override {}
    double Value() const noexcept override { return 0; }
  };
  class NullHistogram final : public metrics::Histogram {
   public:
    void Observe(double) noexcept override {}
  };

  NullCounter counter_;
  NullGauge gauge_;
  NullHistogram histogram_;
};

class CliHost final : public host::HostServices {
 public:
  logging::Logger& logger() noexcept override { return logger_; }
  metrics::MetricsRegistry& metrics() noexcept override { return metrics_; }
  const time::Clock& clock() noexcept override { return clock_; }
  std::string_view data_dir() const noexcept override { return "/nonexistent"; }
  std::string_view peer_id() const noexcept override { return ""; }

 private:
  StderrLogger logger_;
  NullMetrics metrics_;
  base::SystemClock clock_;
};

}  // namespace optimystic::tools::cli
