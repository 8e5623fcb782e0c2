// SPDX-License-Identifier: Apache-2.0
#include "server/fault_injection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <optional>

#include <utility>
#include <vector>

#include "cluster/wire/payload_members.h"

namespace optimystic::server {

namespace {

constexpr const char* kCutKey = "cut";
constexpr size_t kMaxCut = 256;  // peers one node may be cut off from at once
constexpr const char* kDelayKey = "delayMs";
constexpr const char* kSkewKey = "skewMs";
constexpr uint64_t kMaxDelayMs = 60'000;
constexpr int64_t kMaxSkewMs = 3'600'000;

}  // namespace

FaultInjectingTransport::FaultInjectingTransport(std::unique_ptr<transport::Transport> inner)
    : inner_(std::move(inner)),
      delays_work_(boost::asio::make_work_guard(delays_)),
      delays_thread_([this] { delays_.run(); }) {}

FaultInjectingTransport::~FaultInjectingTransport() {
  delays_work_.reset();
  if (delays_thread_.joinable()) delays_thread_.join();
  failures_.join();
}

void FaultInjectingTransport::SetDelayMs(uint64_t delay_ms) {
  std::lock_guard lock(mu_);
  delay_ms_ = delay_ms;
}

uint64_t FaultInjectingTransport::DelayMs() {
  std::lock_guard lock(mu_);
  return delay_ms_;
}

void FaultInjectingTransport::SetCut(std::set<std::string> urls) {
  std::lock_guard lock(mu_);
  cut_ = std::move(urls);
}

std::set<std::string> FaultInjectingTransport::Cut() {
  std::lock_guard lock(mu_);
  return cut_;
}

Result<std::string> FaultInjectingTransport::Listen(std::string_view url,
                                                    transport::RequestHandler& handler) noexcept {
  return inner_->Listen(url, handler);
}

void FaultInjectingTransport::Request(std::string_view url, std::string_view request,
                                      int64_t deadline_unix_ms,
                                      transport::ReplyCallback& callback) noexcept {
  bool cut = false;
  uint64_t delay_ms = 0;
  {
    std::lock_guard lock(mu_);
    cut = cut_.count(std::string(url)) != 0;
    delay_ms = delay_ms_;
  }
  if (!cut && delay_ms > 0) {
    // The request leaves when its timer fires; the reply comes as the wrapped transport's.
    auto timer = std::make_shared<boost::asio::steady_timer>(
        delays_, std::chrono::milliseconds(delay_ms));
    timer->async_wait([this, timer, url = std::string(url), request = std::string(request),
                       deadline_unix_ms, &callback](const boost::system::error_code& ec) {
      if (ec) {
        callback.OnReply(Status::Unavailable("cannot reach " + url + ": the node is stopping"));
        return;
      }
      inner_->Request(url, request, deadline_unix_ms, callback);
    });
    return;
  }
  if (!cut) {
    inner_->Request(url, request, deadline_unix_ms, callback);
    return;
  }
  // Callbacks run on the transport's threads, never on the caller's.
  boost::asio::post(failures_, [&callback, url = std::string(url)] {
    callback.OnReply(Status::Unavailable("cannot reach " + url + ": cut off by fault injection"));
  });
}

Status FaultInjectingTransport::Close() noexcept {
  // Delayed requests still waiting leave now (to a transport that fails them once closed).
  delays_work_.reset();
  if (delays_thread_.joinable()) delays_thread_.join();
  Status closed = inner_->Close();
  failures_.join();  // every failure already posted is delivered before Close returns
  return closed;
}

Status FaultInjectionService::RegisterWith(cluster::wire::MessageDispatcher& dispatcher) noexcept {
  return dispatcher.Register(cluster::wire::MessageType::kDebugFaults, *this);
}

Result<cluster::wire::Reply> FaultInjectionService::Handle(
    const cluster::wire::Envelope& request) noexcept {
  constexpr const char* kName = "debug.faults";
  if (transport_ == nullptr) {
    return Status::NotSupported(
        "debug.faults: fault injection is off on this node (node.fault_injection)");
  }
  OPTIMYSTIC_RETURN_IF_ERROR(cluster::wire::ExpectMap(request.payload, kName));
  const block::Value& payload = request.payload;
  const cluster::wire::PayloadPath at(kName);
  // Everything is read before anything is set: a bad member changes nothing.
  std::optional<std::vector<std::string>> urls;
  if (cluster::wire::FindMember(payload, kCutKey) != nullptr) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(urls, cluster::wire::TextArrayMember(payload, kName, kCutKey,
                                                                     /*non_empty=*/false, kMaxCut));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::optional<uint64_t> delay,
      cluster::wire::OptionalMember<uint64_t>(payload, at, kDelayKey, cluster::wire::Uint64At));
  if (delay && *delay > kMaxDelayMs) {
    return at.Member(kDelayKey).Error("must be at most " + std::to_string(kMaxDelayMs));
  }
  std::optional<int64_t> skew;
  if (const block::Value* v = cluster::wire::FindMember(payload, kSkewKey)) {
    if (!v->is_number_integer() || v->get<int64_t>() < -kMaxSkewMs ||
        v->get<int64_t>() > kMaxSkewMs) {
      return at.Member(kSkewKey).Error("expected an integer from -" + std::to_string(kMaxSkewMs) +
                                       " to " + std::to_string(kMaxSkewMs));
    }
    skew = v->get<int64_t>();
  }
  if (urls) transport_->SetCut(std::set<std::string>(urls->begin(), urls->end()));
  if (delay) transport_->SetDelayMs(*delay);
  if (skew && clock_ != nullptr) clock_->SetSkewMs(*skew);
  const std::set<std::string> now = transport_->Cut();
  return cluster::wire::Reply{
      cluster::wire::MessageType::kDebugFaultsOk,
      block::Value::object(
          {{kCutKey, cluster::wire::TextArray(std::vector<std::string>(now.begin(), now.end()))},
           {kDelayKey, transport_->DelayMs()},
           {kSkewKey, clock_ != nullptr ? clock_->skew_ms() : int64_t{0}}})};
}

}  // namespace optimystic::server
