// SPDX-License-Identifier: Apache-2.0
// Fault injection (kernel/src/server/fault_injection.h): a request to a cut URL fails as an
// unreachable peer would, on another thread, and never reaches the wrapped transport; the rest
// pass through; a delay holds every request back that long; "debug.faults" sets the cut set
// (heals with []), the delay and the clock's skew, refuses a bad payload (changing nothing),
// and is refused on a node without fault injection.
#include "server/fault_injection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <thread>
#include <vector>

namespace optimystic::server {
namespace {

using ::testing::HasSubstr;

// A transport that answers every request at once with "pong".
class EchoTransport final : public transport::Transport {
 public:
  Result<std::string> Listen(std::string_view url, transport::RequestHandler&) noexcept override {
    return std::string(url);
  }
  void Request(std::string_view url, std::string_view, int64_t,
               transport::ReplyCallback& callback) noexcept override {
    sent.push_back(std::string(url));
    callback.OnReply(std::string("pong"));
  }
  Status Close() noexcept override { return Status::Ok(); }
  std::vector<std::string> sent;
};

class Waiter final : public transport::ReplyCallback {
 public:
  void OnReply(Result<std::string> reply) noexcept override {
    thread = std::this_thread::get_id();
    promise.set_value(std::move(reply));
  }
  std::promise<Result<std::string>> promise;
  std::thread::id thread;
};

TEST(FaultInjection, ACutRequestFailsAsUnreachableAndTheRestPass) {
  auto inner = std::make_unique<EchoTransport>();
  EchoTransport& echo = *inner;
  FaultInjectingTransport transport(std::move(inner));
  transport.SetCut({"tcp://127.0.0.1:2"});

  Waiter through;
  transport.Request("tcp://127.0.0.1:1", "ping", 0, through);
  EXPECT_EQ(through.promise.get_future().get().value(), "pong");

  Waiter cut;
  transport.Request("tcp://127.0.0.1:2", "ping", 0, cut);
  Result<std::string> failed = cut.promise.get_future().get();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(failed.error().message(),
              HasSubstr("cannot reach tcp://127.0.0.1:2: cut off by fault injection"));
  EXPECT_NE(cut.thread, std::this_thread::get_id());
  EXPECT_EQ(echo.sent, std::vector<std::string>{"tcp://127.0.0.1:1"});
  EXPECT_TRUE(transport.Close().ok());
}

class WallClock final : public time::Clock {
 public:
  int64_t NowUnixMs() const noexcept override { return 1'000'000; }
  int64_t SteadyNs() const noexcept override { return 5; }
};
const WallClock system_clock;

TEST(FaultInjection, ADelayedRequestLeavesThatMuchLater) {
  auto inner = std::make_unique<EchoTransport>();
  EchoTransport& echo = *inner;
  FaultInjectingTransport transport(std::move(inner));
  transport.SetDelayMs(300);
  const auto start = std::chrono::steady_clock::now();
  Waiter slow;
  transport.Request("tcp://127.0.0.1:1", "ping", 0, slow);
  EXPECT_EQ(slow.promise.get_future().get().value(), "pong");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_NE(slow.thread, std::this_thread::get_id());
  EXPECT_EQ(echo.sent, std::vector<std::string>{"tcp://127.0.0.1:1"});
  EXPECT_TRUE(transport.Close().ok());
}

TEST(FaultInjection, TheServiceSetsTheDelayAndTheSkew) {
  FaultInjectingTransport transport(std::make_unique<EchoTransport>());
  SkewedClock clock(system_clock);
  FaultInjectionService service(&transport, &clock);
  cluster::wire::Envelope request;
  request.type = cluster::wire::MessageType::kDebugFaults;
  request.payload = block::Value{{"delayMs", 250}, {"skewMs", -4000}};
  auto set = service.Handle(request);
  ASSERT_TRUE(set) << set.error().ToString();
  EXPECT_EQ(set->payload["delayMs"], 250);
  EXPECT_EQ(set->payload["skewMs"], -4000);
  EXPECT_EQ(set->payload["cut"], block::Value::array()) << "absent: unchanged";
  EXPECT_EQ(transport.DelayMs(), 250u);
  EXPECT_EQ(clock.NowUnixMs(), 1'000'000 - 4000);
  EXPECT_EQ(clock.SteadyNs(), 5) << "the steady clock is never skewed";

  request.payload = block::Value{{"delayMs", 0}, {"skewMs", "later"}};
  auto bad = service.Handle(request);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("debug.faults payload member 'skewMs'"));
  EXPECT_EQ(transport.DelayMs(), 250u) << "a refused request changes nothing";
  request.payload = block::Value{{"delayMs", 60'001}};
  EXPECT_FALSE(service.Handle(request));
  request.payload = block::Value{{"skewMs", 0}};
  ASSERT_TRUE(service.Handle(request));
  EXPECT_EQ(clock.NowUnixMs(), 1'000'000);
  EXPECT_TRUE(transport.Close().ok());
}

TEST(FaultInjection, TheServiceSetsAndHealsTheCut) {
  FaultInjectingTransport transport(std::make_unique<EchoTransport>());
  SkewedClock clock(system_clock);
  FaultInjectionService service(&transport, &clock);
  cluster::wire::Envelope request;
  request.type = cluster::wire::MessageType::kDebugFaults;
  request.payload = block::Value{{"cut", {"tcp://b:2", "tcp://a:1"}}};
  auto set = service.Handle(request);
  ASSERT_TRUE(set) << set.error().ToString();
  EXPECT_EQ(set->type, cluster::wire::MessageType::kDebugFaultsOk);
  EXPECT_EQ(set->payload["cut"], block::Value({"tcp://a:1", "tcp://b:2"}));
  EXPECT_EQ(transport.Cut(), (std::set<std::string>{"tcp://a:1", "tcp://b:2"}));

  request.payload = block::Value{{"cut", block::Value::array()}};
  ASSERT_TRUE(service.Handle(request));
  EXPECT_TRUE(transport.Cut().empty());

  request.payload = block::Value{{"cut", "tcp://a:1"}};
  auto bad = service.Handle(request);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("debug.faults payload member 'cut'"));

  FaultInjectionService off(nullptr, nullptr);
  auto refused = off.Handle(request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), StatusCode::kNotSupported);
  EXPECT_THAT(refused.error().message(), HasSubstr("fault injection is off on this node"));
  EXPECT_TRUE(transport.Close().ok());
}

}  // namespace
}  // namespace optimystic::server
