// SPDX-License-Identifier: Apache-2.0
// Fault injection for the fault suite (docs/faults.md), on only with `node.fault_injection:
// true`: a transport decorator that cuts this node off from some peers or slows its requests, a
// clock that can be skewed, and the "debug.faults" message that sets them at runtime.
// - FaultInjectingTransport forwards everything to the transport it wraps, except a request to
//   a URL that is cut: that fails, on the decorator's own thread, Unavailable "cannot reach
//   <url>: cut off by fault injection", as if the peer were unreachable. Cutting both ends of a
//   link is a partition; a node still serves whoever reaches it (clients included). With a
//   delay set, every request this node sends leaves that much later (a slow link).
// - SkewedClock is the node's clock: the system's, plus a skew (0 unless fault injection sets
//   one), on the wall clock only.
// - FaultInjectionService answers "debug.faults" {"cut": [url], "delayMs": u64, "skewMs": int},
//   each optional (absent: unchanged; cut is the whole set, [] heals), with "debug.faults.ok"
//   giving all three. Without a transport to steer (fault injection off) it refuses, naming the
//   setting.
// Thread-safety: every method may be called from any thread at once.
// Errors: as the wrapped transport's; the service's InvalidArgument names the payload member.
#pragma once

#include <optimystic/transport/transport.h>

#include <optimystic/time/clock.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstdint>
#include <thread>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "cluster/wire/message_dispatcher.h"

namespace optimystic::server {

class SkewedClock final : public time::Clock {
 public:
  // OWNERSHIP: `base` must outlive this.
  explicit SkewedClock(const time::Clock& base) : base_(base) {}
  int64_t NowUnixMs() const noexcept override { return base_.NowUnixMs() + skew_ms_.load(); }
  int64_t SteadyNs() const noexcept override { return base_.SteadyNs(); }
  void SetSkewMs(int64_t skew_ms) noexcept { skew_ms_ = skew_ms; }
  int64_t skew_ms() const noexcept { return skew_ms_.load(); }

 private:
  const time::Clock& base_;
  std::atomic<int64_t> skew_ms_{0};
};

class FaultInjectingTransport final : public transport::Transport {
 public:
  explicit FaultInjectingTransport(std::unique_ptr<transport::Transport> inner);
  ~FaultInjectingTransport() override;

  void SetCut(std::set<std::string> urls);
  std::set<std::string> Cut();
  void SetDelayMs(uint64_t delay_ms);
  uint64_t DelayMs();

  Result<std::string> Listen(std::string_view url,
                             transport::RequestHandler& handler) noexcept override;
  void Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
               transport::ReplyCallback& callback) noexcept override;
  Status Close() noexcept override;

 private:
  std::unique_ptr<transport::Transport> inner_;
  std::mutex mu_;
  std::set<std::string> cut_;
  uint64_t delay_ms_ = 0;
  boost::asio::thread_pool failures_{1};  // where a cut request's failure is delivered
  // Where delayed requests wait for their timers.
  boost::asio::io_context delays_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> delays_work_;
  std::thread delays_thread_;
};

class FaultInjectionService final : public cluster::wire::MessageHandler {
 public:
  // `transport` and `clock` are null when fault injection is off. OWNERSHIP: they must outlive
  // the service.
  FaultInjectionService(FaultInjectingTransport* transport, SkewedClock* clock)
      : transport_(transport), clock_(clock) {}

  Status RegisterWith(cluster::wire::MessageDispatcher& dispatcher) noexcept;
  Result<cluster::wire::Reply> Handle(const cluster::wire::Envelope& request) noexcept override;

 private:
  FaultInjectingTransport* const transport_;
  SkewedClock* const clock_;
};

}  // namespace optimystic::server
