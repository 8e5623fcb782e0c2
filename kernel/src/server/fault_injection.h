// SPDX-License-Identifier: Apache-2.0
// Fault injection for the fault suite (docs/faults.md), on only with `node.fault_injection:
// true`: a transport decorator that cuts this node off from some peers, and the "debug.faults"
// message that says which, at runtime.
// - FaultInjectingTransport forwards everything to the transport it wraps, except a request to
//   a URL that is cut: that fails, on the decorator's own thread, Unavailable "cannot reach
//   <url>: cut off by fault injection", as if the peer were unreachable. Cutting both ends of a
//   link is a partition; a node still serves whoever reaches it (clients included).
// - FaultInjectionService answers "debug.faults" {"cut": [url]} (the whole set, replacing the
//   last; [] heals) with "debug.faults.ok" {"cut": [url]}. Without a transport to steer (fault
//   injection off) it refuses, naming the setting.
// Thread-safety: every method may be called from any thread at once.
// Errors: as the wrapped transport's; the service's InvalidArgument names the payload member.
#pragma once

#include <optimystic/transport/transport.h>

#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "cluster/wire/message_dispatcher.h"

namespace optimystic::server {

class FaultInjectingTransport final : public transport::Transport {
 public:
  explicit FaultInjectingTransport(std::unique_ptr<transport::Transport> inner)
      : inner_(std::move(inner)) {}
  ~FaultInjectingTransport() override;

  void SetCut(std::set<std::string> urls);
  std::set<std::string> Cut();

  Result<std::string> Listen(std::string_view url,
                             transport::RequestHandler& handler) noexcept override;
  void Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
               transport::ReplyCallback& callback) noexcept override;
  Status Close() noexcept override;

 private:
  std::unique_ptr<transport::Transport> inner_;
  std::mutex mu_;
  std::set<std::string> cut_;
  boost::asio::thread_pool failures_{1};  // where a cut request's failure is delivered
};

class FaultInjectionService final : public cluster::wire::MessageHandler {
 public:
  // `transport` is null when fault injection is off. OWNERSHIP: it must outlive the service.
  explicit FaultInjectionService(FaultInjectingTransport* transport) : transport_(transport) {}

  Status RegisterWith(cluster::wire::MessageDispatcher& dispatcher) noexcept;
  Result<cluster::wire::Reply> Handle(const cluster::wire::Envelope& request) noexcept override;

 private:
  FaultInjectingTransport* const transport_;
};

}  // namespace optimystic::server
