// SPDX-License-Identifier: Apache-2.0
// MetricsRegistry: how the host and its plugins publish Prometheus metrics. Names follow
// optimystic_<subsystem>_<name>_<unit>; counters end in _total; durations are seconds and sizes
// bytes (base units). Adding the same name with a different type or help is an error; adding the
// same name and labels twice returns the same metric.
// OWNERSHIP: every metric returned is owned by the registry and lives as long as the host.
// Thread-safety: every method of every type here may be called from any thread.
// Errors: Add* return InvalidArgument naming the metric when the name or labels are malformed.
#pragma once

#include <optimystic/base/result.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optimystic::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  virtual void Increment(double amount = 1.0) noexcept = 0;  // REQUIRES: amount >= 0
  virtual double Value() const noexcept = 0;

 protected:
  ~Counter() = default;
};

class Gauge {
 public:
  virtual void Set(double value) noexcept = 0;
  virtual void Increment(double amount = 1.0) noexcept = 0;
  virtual void Decrement(double amount = 1.0) noexcept = 0;
  virtual double Value() const noexcept = 0;

 protected:
  ~Gauge() = default;
};

class Histogram {
 public:
  virtual void Observe(double value) noexcept = 0;

 protected:
  ~Histogram() = default;
};

class MetricsRegistry {
 public:
  virtual Result<Counter*> AddCounter(std::string_view name, std::string_view help,
                                      const Labels& labels) noexcept = 0;
  virtual Result<Gauge*> AddGauge(std::string_view name, std::string_view help,
                                  const Labels& labels) noexcept = 0;
  // `bucket_bounds` are the upper bounds in increasing order (+Inf is implicit).
  virtual Result<Histogram*> AddHistogram(std::string_view name, std::string_view help,
                                          const Labels& labels,
                                          const std::vector<double>& bucket_bounds) noexcept = 0;

 protected:
  ~MetricsRegistry() = default;
};

}  // namespace optimystic::metrics
