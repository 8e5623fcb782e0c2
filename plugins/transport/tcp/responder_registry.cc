// SPDX-License-Identifier: Apache-2.0
#include "transport/tcp/responder_registry.h"

#include "transport/tcp/frame_format.h"
#include "transport/tcp/tcp_connection.h"

#include <string>
#include <utility>

namespace optimystic::plugins::transport_tcp {

class ResponderRegistry::ConnectionResponder final : public transport::Responder {
 public:
  ConnectionResponder(ResponderRegistry& registry, std::weak_ptr<TcpConnection> connection,
                      uint64_t id)
      : registry_(registry), connection_(std::move(connection)), id_(id) {}

  void Reply(std::string_view bytes) noexcept override {
    if (bytes.size() > registry_.max_message_bytes_) {
      // Too large to send: the caller learns why instead of waiting for its deadline.
      registry_.metrics_.CountError(transport::TransportErrorKind::kTooLarge);
      Send(FrameKind::kError,
           EncodeErrorPayload(Status::InvalidArgument(
               "reply too large: " + std::to_string(bytes.size()) +
               " bytes, max_message_bytes is " + std::to_string(registry_.max_message_bytes_))));
    } else {
      Send(FrameKind::kReply, bytes);
    }
    registry_.Release(this);  // deletes this
  }

  void Fail(const Status& error) noexcept override {
    const Status sent = error.ok() ? Status::Internal("handler failed with an OK status") : error;
    Send(FrameKind::kError, EncodeErrorPayload(sent));
    registry_.Release(this);  // deletes this
  }

 private:
  void Send(FrameKind kind, std::string_view payload) {
    if (std::shared_ptr<TcpConnection> connection = connection_.lock()) {
      connection->SendFrame(EncodeFrame(kind, id_, payload), payload.size());
    }
  }

  ResponderRegistry& registry_;
  std::weak_ptr<TcpConnection> connection_;
  const uint64_t id_;
};

ResponderRegistry::ResponderRegistry(transport::TransportMetrics& metrics,
                                     uint32_t max_message_bytes) noexcept
    : metrics_(metrics), max_message_bytes_(max_message_bytes) {}

ResponderRegistry::~ResponderRegistry() = default;

transport::Responder& ResponderRegistry::Create(std::weak_ptr<TcpConnection> connection,
                                                uint64_t id) {
  auto responder = std::make_unique<ConnectionResponder>(*this, std::move(connection), id);
  ConnectionResponder* raw = responder.get();
  std::lock_guard lock(mu_);
  live_.emplace(raw, std::move(responder));
  return *raw;
}

size_t ResponderRegistry::outstanding() const {
  std::lock_guard lock(mu_);
  return live_.size();
}

void ResponderRegistry::Release(ConnectionResponder* responder) noexcept {
  std::unique_ptr<ConnectionResponder> owned;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(responder);
    if (it == live_.end()) {
      return;
    }
    owned = std::move(it->second);
    live_.erase(it);
  }
  // `owned` (the responder whose method is still on the stack) is destroyed here, as that
  // method's last act.
}

}  // namespace optimystic::plugins::transport_tcp
