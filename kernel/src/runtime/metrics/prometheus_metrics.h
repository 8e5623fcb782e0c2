// SPDX-License-Identifier: Apache-2.0
// PrometheusMetrics: the node's MetricsRegistry on prometheus-cpp (which stays inside this
// folder), and the HTTP exposer serving GET /metrics. Collect hooks run just before each scrape so
// that values polled from plugins (storage stats) are fresh.
// Thread-safety: every method may be called from any thread; hooks run on the exposer's threads.
// Errors: prometheus-cpp throws on bad names and on a port it cannot bind; this adapter catches
// those and returns InvalidArgument (names, labels) or Unavailable (listen address).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/metrics/metrics.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::runtime::metrics {

using optimystic::metrics::Counter;
using optimystic::metrics::Gauge;
using optimystic::metrics::Histogram;
using optimystic::metrics::Labels;

class PrometheusMetrics final : public optimystic::metrics::MetricsRegistry {
 public:
  PrometheusMetrics();
  ~PrometheusMetrics();
  PrometheusMetrics(const PrometheusMetrics&) = delete;
  PrometheusMetrics& operator=(const PrometheusMetrics&) = delete;

  Result<Counter*> AddCounter(std::string_view name, std::string_view help,
                              const Labels& labels) noexcept override;
  Result<Gauge*> AddGauge(std::string_view name, std::string_view help,
                          const Labels& labels) noexcept override;
  Result<Histogram*> AddHistogram(std::string_view name, std::string_view help,
                                  const Labels& labels,
                                  const std::vector<double>& bucket_bounds) noexcept override;

  // Runs `hook` before every scrape and every RenderText.
  void AddCollectHook(std::function<void()> hook);

  // Serves GET /metrics on "host:port" (port 0: any free port). Returns the bound "host:port".
  Result<std::string> Serve(const std::string& listen) noexcept;
  // Stops serving; scrapes in progress finish first. Idempotent.
  void StopServing() noexcept;

  // The exposition text a scrape would return now.
  std::string RenderText();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace optimystic::runtime::metrics
