// SPDX-License-Identifier: Apache-2.0
#include "runtime/metrics/prometheus_metrics.h"

#include <gtest/gtest.h>

#include "support/http_get.h"

namespace optimystic::runtime::metrics {
namespace {

TEST(PrometheusMetrics, RendersCountersGaugesAndHistograms) {
  PrometheusMetrics m;
  auto c = m.AddCounter("optimystic_test_events_total", "Events.", {{"kind", "a"}});
  ASSERT_TRUE(c) << c.error().ToString();
  (*c)->Increment(3);
  auto g = m.AddGauge("optimystic_test_depth", "Depth.", {});
  ASSERT_TRUE(g);
  (*g)->Set(7);
  auto h = m.AddHistogram("optimystic_test_latency_seconds", "Latency.", {}, {0.1, 1});
  ASSERT_TRUE(h);
  (*h)->Observe(0.5);
  std::string text = m.RenderText();
  EXPECT_NE(text.find("optimystic_test_events_total{kind=\"a\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("optimystic_test_depth 7"), std::string::npos) << text;
  EXPECT_NE(text.find("optimystic_test_latency_seconds_bucket{le=\"1\"} 1"), std::string::npos)
      << text;
}

TEST(PrometheusMetrics, SameNameAndLabelsReturnTheSameMetric) {
  PrometheusMetrics m;
  auto a = m.AddCounter("optimystic_test_x_total", "X.", {{"k", "v"}});
  auto b = m.AddCounter("optimystic_test_x_total", "X.", {{"k", "v"}});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  auto other = m.AddCounter("optimystic_test_x_total", "X.", {{"k", "w"}});
  ASSERT_TRUE(other);
  EXPECT_NE(*a, *other);
}

TEST(PrometheusMetrics, RefusesMalformedNamesAndKindClashes) {
  PrometheusMetrics m;
  auto no_total = m.AddCounter("optimystic_test_events", "E.", {});
  ASSERT_FALSE(no_total);
  EXPECT_EQ(no_total.error().message(),
            "metric 'optimystic_test_events': counter names end in _total");
  auto bad = m.AddGauge("bad-name", "B.", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  auto bad_label = m.AddGauge("optimystic_test_g", "G.", {{"bad-label", "x"}});
  ASSERT_FALSE(bad_label);
  ASSERT_TRUE(m.AddGauge("optimystic_test_clash", "C.", {}));
  auto clash = m.AddHistogram("optimystic_test_clash", "C.", {}, {1});
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message().find("already registered as gauge"), std::string::npos);
  auto unordered = m.AddHistogram("optimystic_test_h", "H.", {}, {2, 1});
  ASSERT_FALSE(unordered);
}

TEST(PrometheusMetrics, CollectHooksRunBeforeEachScrapeOverHttp) {
  PrometheusMetrics m;
  auto g = m.AddGauge("optimystic_test_scrapes", "Scrapes seen.", {});
  ASSERT_TRUE(g);
  Gauge* gauge = *g;
  m.AddCollectHook([gauge] { gauge->Increment(); });
  auto bound = m.Serve("127.0.0.1:0");
  ASSERT_TRUE(bound) << bound.error().ToString();
  int port = std::stoi(bound->substr(bound->rfind(':') + 1));
  ASSERT_GT(port, 0);
  auto first = test::HttpGet("127.0.0.1", port, "/metrics");
  auto second = test::HttpGet("127.0.0.1", port, "/metrics");
  ASSERT_EQ(first.status, 200) << first.error;
  EXPECT_NE(first.body.find("optimystic_test_scrapes 1"), std::string::npos) << first.body;
  EXPECT_NE(second.body.find("optimystic_test_scrapes 2"), std::string::npos) << second.body;

  auto again = m.Serve(*bound);  // the same port is taken by the first exposer
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), StatusCode::kUnavailable);
  m.StopServing();
  EXPECT_NE(test::HttpGet("127.0.0.1", port, "/metrics").error, "");
}

}  // namespace
}  // namespace optimystic::runtime::metrics
