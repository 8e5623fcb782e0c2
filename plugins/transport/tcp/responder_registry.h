// SPDX-License-Identifier: Apache-2.0
// ResponderRegistry: owns the Responder handed to the RequestHandler for each incoming request.
// A responder lives until it is used (Reply or Fail frees it) or until the registry, owned by
// the transport, is destroyed; so a handler may keep it past OnRequest and even past Close(),
// and a handler that never answers does not leak. A responder whose connection has closed
// drops its reply. Thread-safety: Create, and Reply/Fail on different responders, may be called
// from any thread at once. Errors: none; a reply that cannot be delivered is dropped.
#pragma once

#include <optimystic/base/status.h>
#include <optimystic/transport/transport.h>
#include <optimystic/transport/transport_metrics.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace optimystic::plugins::transport_tcp {

class TcpConnection;

class ResponderRegistry final {
 public:
  ResponderRegistry(transport::TransportMetrics& metrics, uint32_t max_message_bytes) noexcept;
  ~ResponderRegistry();  // frees the responders not used yet
  ResponderRegistry(const ResponderRegistry&) = delete;
  ResponderRegistry& operator=(const ResponderRegistry&) = delete;

  // A responder for request `id` on `connection`, valid until used or until *this goes away.
  transport::Responder& Create(std::weak_ptr<TcpConnection> connection, uint64_t id);
  // How many responders have not been used yet.
  size_t outstanding() const;

 private:
  class ConnectionResponder;
  void Release(ConnectionResponder* responder) noexcept;

  transport::TransportMetrics& metrics_;
  const uint32_t max_message_bytes_;
  mutable std::mutex mu_;
  std::unordered_map<ConnectionResponder*, std::unique_ptr<ConnectionResponder>> live_;
};

}  // namespace optimystic::plugins::transport_tcp
