// SPDX-License-Identifier: Apache-2.0
// TestHost: a HostServices test double for plugin factories. Its logger keeps every line (as
// "<level>: <message>") for assertions; its metrics registry accepts every name and returns
// working in-memory metrics (the same object for the same name and labels); its clock is a
// settable fake that only moves when told to. Thread-safety: every method may be called from
// any thread, like the real host's. Errors: none; nothing here fails.
#pragma once

#include <optimystic/host/host_services.h>
#include <optimystic/logging/logger.h>
#include <optimystic/metrics/metrics.h>
#include <optimystic/time/clock.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optimystic::test {

class TestLogger final : public logging::Logger {
 public:
  void Log(logging::LogLevel level, std::string_view message) noexcept override {
    std::lock_guard lock(mu_);
    lines_.push_back(std::string(logging::LogLevelName(level)) + ": " + std::string(message));
  }
  bool Enabled(logging::LogLevel level) const noexcept override { return true; }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  // True when some line contains `text`.
  bool Contains(std::string_view text) const {
    std::lock_guard lock(mu_);
    for (const std::string& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

class TestCounter final : public metrics::Counter {
 public:
  void Increment(double amount) noexcept override { value_.fetch_add(amount); }
  double Value() const noexcept override { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class TestGauge final : public metrics::Gauge {
 public:
  void Set(double value) noexcept override { value_.store(value); }
  void Increment(double amount) noexcept override { value_.fetch_add(amount); }
  void Decrement(double amount) noexcept override { value_.fetch_sub(amount); }
  double Value() const noexcept override { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class TestHistogram final : public metrics::Histogram {
 public:
  void Observe(double value) noexcept override {
    std::lock_guard lock(mu_);
    observations_.push_back(value);
  }
  std::vector<double> observations() const {
    std::lock_guard lock(mu_);
    return observations_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<double> observations_;
};

class TestMetricsRegistry final : public metrics::MetricsRegistry {
 public:
  Result<metrics::Counter*> AddCounter(std::string_view name, std::string_view help,
                                       const metrics::Labels& labels) noexcept override {
    return Lookup(counters_, name, labels);
  }
  Result<metrics::Gauge*> AddGauge(std::string_view name, std::string_view help,
                                   const metrics::Labels& labels) noexcept override {
    return Lookup(gauges_, name, labels);
  }
  Result<metrics::Histogram*> AddHistogram(std::string_view name, std::string_view help,
                                           const metrics::Labels& labels,
                                           const std::vector<double>& bounds) noexcept override {
    return Lookup(histograms_, name, labels);
  }

  // The counter registered under `name` and `labels`, or nullptr.
  TestCounter* FindCounter(std::string_view name, const metrics::Labels& labels = {}) const {
    std::lock_guard lock(mu_);
    auto it = counters_.find(Key(name, labels));
    return it == counters_.end() ? nullptr : it->second.get();
  }
  TestGauge* FindGauge(std::string_view name, const metrics::Labels& labels = {}) const {
    std::lock_guard lock(mu_);
    auto it = gauges_.find(Key(name, labels));
    return it == gauges_.end() ? nullptr : it->second.get();
  }
  TestHistogram* FindHistogram(std::string_view name, const metrics::Labels& labels = {}) const {
    std::lock_guard lock(mu_);
    auto it = histograms_.find(Key(name, labels));
    return it == histograms_.end() ? nullptr : it->second.get();
  }

 private:
  static std::string Key(std::string_view name, const metrics::Labels& labels) {
    std::string key(name);
    for (const auto& [label, value] : labels) key += "|" + label + "=" + value;
    return key;
  }
  template <class M>
  M* Lookup(std::map<std::string, std::unique_ptr<M>>& metrics, std::string_view name,
            const metrics::Labels& labels) {
    std::lock_guard lock(mu_);
    std::unique_ptr<M>& slot = metrics[Key(name, labels)];
    if (slot == nullptr) slot = std::make_unique<M>();
    return slot.get();
  }

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<TestCounter>> counters_;
  std::map<std::string, std::unique_ptr<TestGauge>> gauges_;
  std::map<std::string, std::unique_ptr<TestHistogram>> histograms_;
};

// A clock that starts at a fixed instant and moves only through Advance.
class TestClock final : public time::Clock {
 public:
  static constexpr int64_t kStartUnixMs = 1'700'000'000'000;

  int64_t NowUnixMs() const noexcept override { return unix_ms_.load(); }
  int64_t SteadyNs() const noexcept override { return steady_ns_.load(); }
  void Advance(int64_t ms) noexcept {
    unix_ms_.fetch_add(ms);
    steady_ns_.fetch_add(ms * 1'000'000);
  }

 private:
  std::atomic<int64_t> unix_ms_{kStartUnixMs};
  std::atomic<int64_t> steady_ns_{0};
};

class TestHost final : public host::HostServices {
 public:
  explicit TestHost(std::string data_dir = "/nonexistent/test-host-data",
                    std::string peer_id = "test-peer")
      : data_dir_(std::move(data_dir)), peer_id_(std::move(peer_id)) {}

  logging::Logger& logger() noexcept override { return logger_; }
  metrics::MetricsRegistry& metrics() noexcept override { return metrics_; }
  const time::Clock& clock() noexcept override { return clock_; }
  std::string_view data_dir() const noexcept override { return data_dir_; }
  std::string_view peer_id() const noexcept override { return peer_id_; }

  TestLogger& test_logger() noexcept { return logger_; }
  TestMetricsRegistry& test_metrics() noexcept { return metrics_; }
  TestClock& test_clock() noexcept { return clock_; }

 private:
  TestLogger logger_;
  TestMetricsRegistry metrics_;
  TestClock clock_;
  std::string data_dir_;
  std::string peer_id_;
};

}  // namespace optimystic::test
