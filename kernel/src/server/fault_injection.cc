// SPDX-License-Identifier: Apache-2.0
#include "server/fault_injection.h"

#include <boost/asio/post.hpp>

#include <utility>
#include <vector>

#include "cluster/wire/payload_members.h"

namespace optimystic::server {

namespace {

constexpr const char* kCutKey = "cut";
constexpr size_t kMaxCut = 256;  // peers one node may be cut off from at once

}  // namespace

FaultInjectingTransport::~FaultInjectingTransport() { failures_.join(); }

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
  {
    std::lock_guard lock(mu_);
    cut = cut_.count(std::string(url)) != 0;
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
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::vector<std::string> urls,
      cluster::wire::TextArrayMember(request.payload, kName, kCutKey, /*non_empty=*/false,
                                     kMaxCut));
  transport_->SetCut(std::set<std::string>(urls.begin(), urls.end()));
  const std::set<std::string> now = transport_->Cut();
  return cluster::wire::Reply{
      cluster::wire::MessageType::kDebugFaultsOk,
      block::Value::object(
          {{kCutKey, cluster::wire::TextArray(std::vector<std::string>(now.begin(), now.end()))}})};
}

}  // namespace optimystic::server
