// SPDX-License-Identifier: Apache-2.0
#include "runtime/metrics/prometheus_metrics.h"

#include <prometheus/check_names.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <deque>
#include <map>
#include <mutex>

namespace optimystic::runtime::metrics {

namespace {

class CounterAdapter final : public Counter {
 public:
  explicit CounterAdapter(prometheus::Counter& c) : c_(c) {}
  void Increment(double amount) noexcept override {
    if (amount >= 0) c_.Increment(amount);
  }
  double Value() const noexcept override { return c_.Value(); }

 private:
  prometheus::Counter& c_;
};

class GaugeAdapter final : public Gauge {
 public:
  explicit GaugeAdapter(prometheus::Gauge& g) : g_(g) {}
  void Set(double value) noexcept override { g_.Set(value); }
  void Increment(double amount) noexcept override { g_.Increment(amount); }
  void Decrement(double amount) noexcept override { g_.Decrement(amount); }
  double Value() const noexcept override { return g_.Value(); }

 private:
  prometheus::Gauge& g_;
};

class HistogramAdapter final : public Histogram {
 public:
  explicit HistogramAdapter(prometheus::Histogram& h) : h_(h) {}
  void Observe(double value) noexcept override { h_.Observe(value); }

 private:
  prometheus::Histogram& h_;
};

std::map<std::string, std::string> ToPromLabels(const Labels& labels) {
  return {labels.begin(), labels.end()};
}

std::string SeriesKey(std::string_view name, const Labels& labels) {
  std::string key(name);
  for (const auto& [k, v] : ToPromLabels(labels)) key += "\x1f" + k + "=" + v;
  return key;
}

Status CheckNames(std::string_view kind, std::string_view name, const Labels& labels) {
  std::string n(name);
  if (!prometheus::CheckMetricName(n)) {
    return Status::InvalidArgument("metric '" + n + "': invalid name");
  }
  if (kind == "counter" && (n.size() < 6 || n.compare(n.size() - 6, 6, "_total") != 0)) {
    return Status::InvalidArgument("metric '" + n + "': counter names end in _total");
  }
  for (const auto& [k, v] : labels) {
    if (!prometheus::CheckLabelName(k)) {
      return Status::InvalidArgument("metric '" + n + "': invalid label name '" + k + "'");
    }
  }
  return Status::Ok();
}

// Runs the hooks, then collects the registry: what the exposer scrapes.
class HookedCollectable final : public prometheus::Collectable {
 public:
  HookedCollectable(std::shared_ptr<prometheus::Registry> registry, std::mutex& mu,
                    std::vector<std::function<void()>>& hooks)
      : registry_(std::move(registry)), mu_(mu), hooks_(hooks) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<std::function<void()>> hooks;
    {
      std::lock_guard lock(mu_);
      hooks = hooks_;
    }
    for (auto& hook : hooks) hook();
    return registry_->Collect();
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex& mu_;
  std::vector<std::function<void()>>& hooks_;
};

}  // namespace

struct PrometheusMetrics::Impl {
  std::mutex mu;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::vector<std::function<void()>> hooks;
  std::shared_ptr<HookedCollectable> collectable =
      std::make_shared<HookedCollectable>(registry, mu, hooks);
  std::map<std::string, std::string> family_kind;  // name -> "counter" | "gauge" | "histogram"
  std::map<std::string, void*> series;             // SeriesKey -> adapter
  std::deque<std::unique_ptr<CounterAdapter>> counters;
  std::deque<std::unique_ptr<GaugeAdapter>> gauges;
  std::deque<std::unique_ptr<HistogramAdapter>> histograms;
  std::unique_ptr<prometheus::Exposer> exposer;

  // Checks the name and that it is not registered as another kind. REQUIRES: mu held.
  Status Admit(std::string_view kind, std::string_view name, const Labels& labels) {
    OPTIMYSTIC_RETURN_IF_ERROR(CheckNames(kind, name, labels));
    auto it = family_kind.find(std::string(name));
    if (it != family_kind.end() && it->second != kind) {
      return Status::InvalidArgument("metric '" + std::string(name) + "': already registered as " +
                                     it->second);
    }
    family_kind[std::string(name)] = std::string(kind);
    return Status::Ok();
  }
};

PrometheusMetrics::PrometheusMetrics() : impl_(std::make_unique<Impl>()) {}

PrometheusMetrics::~PrometheusMetrics() { StopServing(); }

Result<Counter*> PrometheusMetrics::AddCounter(std::string_view name, std::string_view help,
                                               const Labels& labels) noexcept {
  try {
    std::lock_guard lock(impl_->mu);
    OPTIMYSTIC_RETURN_IF_ERROR(impl_->Admit("counter", name, labels));
    auto key = SeriesKey(name, labels);
    if (auto it = impl_->series.find(key); it != impl_->series.end()) {
      return static_cast<CounterAdapter*>(it->second);
    }
    auto& family = prometheus::BuildCounter()
                       .Name(std::string(name))
                       .Help(std::string(help))
                       .Register(*impl_->registry);
    auto& adapter = impl_->counters.emplace_back(
        std::make_unique<CounterAdapter>(family.Add(ToPromLabels(labels))));
    impl_->series[key] = adapter.get();
    return static_cast<Counter*>(adapter.get());
  } catch (const std::exception& e) {
    return Status::InvalidArgument("metric '" + std::string(name) + "': " + e.what());
  }
}

Result<Gauge*> PrometheusMetrics::AddGauge(std::string_view name, std::string_view help,
                                           const Labels& labels) noexcept {
  try {
    std::lock_guard lock(impl_->mu);
    OPTIMYSTIC_RETURN_IF_ERROR(impl_->Admit("gauge", name, labels));
    auto key = SeriesKey(name, labels);
    if (auto it = impl_->series.find(key); it != impl_->series.end()) {
      return static_cast<GaugeAdapter*>(it->second);
    }
    auto& family = prometheus::BuildGauge()
                       .Name(std::string(name))
                       .Help(std::string(help))
                       .Register(*impl_->registry);
    auto& adapter = impl_->gauges.emplace_back(
        std::make_unique<GaugeAdapter>(family.Add(ToPromLabels(labels))));
    impl_->series[key] = adapter.get();
    return static_cast<Gauge*>(adapter.get());
  } catch (const std::exception& e) {
    return Status::InvalidArgument("metric '" + std::string(name) + "': " + e.what());
  }
}

Result<Histogram*> PrometheusMetrics::AddHistogram(
    std::string_view name, std::string_view help, const Labels& labels,
    const std::vector<double>& bucket_bounds) noexcept {
  try {
    for (size_t i = 1; i < bucket_bounds.size(); ++i) {
      if (!(bucket_bounds[i - 1] < bucket_bounds[i])) {
        return Status::InvalidArgument("metric '" + std::string(name) +
                                       "': bucket bounds must increase");
      }
    }
    std::lock_guard lock(impl_->mu);
    OPTIMYSTIC_RETURN_IF_ERROR(impl_->Admit("histogram", name, labels));
    auto key = SeriesKey(name, labels);
    if (auto it = impl_->series.find(key); it != impl_->series.end()) {
      return static_cast<HistogramAdapter*>(it->second);
    }
    auto& family = prometheus::BuildHistogram()
                       .Name(std::string(name))
                       .Help(std::string(help))
                       .Register(*impl_->registry);
    auto& adapter = impl_->histograms.emplace_back(std::make_unique<HistogramAdapter>(
        family.Add(ToPromLabels(labels), prometheus::Histogram::BucketBoundaries(bucket_bounds))));
    impl_->series[key] = adapter.get();
    return static_cast<Histogram*>(adapter.get());
  } catch (const std::exception& e) {
    return Status::InvalidArgument("metric '" + std::string(name) + "': " + e.what());
  }
}

void PrometheusMetrics::AddCollectHook(std::function<void()> hook) {
  std::lock_guard lock(impl_->mu);
  impl_->hooks.push_back(std::move(hook));
}

Result<std::string> PrometheusMetrics::Serve(const std::string& listen) noexcept {
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(listen, 2);
    exposer->RegisterCollectable(impl_->collectable, "/metrics");
    auto ports = exposer->GetListeningPorts();
    if (ports.empty()) return Status::Unavailable("metrics listen " + listen + ": no port bound");
    std::string host = listen.substr(0, listen.rfind(':'));
    impl_->exposer = std::move(exposer);
    return host + ":" + std::to_string(ports.front());
  } catch (const std::exception& e) {
    return Status::Unavailable("metrics listen " + listen + ": " + e.what());
  }
}

void PrometheusMetrics::StopServing() noexcept { impl_->exposer.reset(); }

std::string PrometheusMetrics::RenderText() {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(impl_->collectable->Collect());
}

}  // namespace optimystic::runtime::metrics
