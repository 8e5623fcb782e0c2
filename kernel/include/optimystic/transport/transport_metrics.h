// SPDX-License-Identifier: Apache-2.0
// TransportMetrics: the one set of Prometheus metrics every transport plugin publishes, so that
// a dashboard reads the tcp and nng plugins the same way. Each metric carries the label
// transport="<plugin name>":
//   optimystic_transport_messages_sent_total        requests sent and replies sent
//   optimystic_transport_messages_received_total    requests received and replies received
//   optimystic_transport_sent_bytes_total           payload bytes sent (frames' headers excluded)
//   optimystic_transport_received_bytes_total       payload bytes received
//   optimystic_transport_errors_total{kind}         by TransportErrorKind (every kind exported)
//   optimystic_transport_request_duration_seconds   client request latency, histogram
//   optimystic_transport_connections                open connections (gauge)
// A plugin creates one TransportMetrics in its factory's Create from the host's registry and
// counts as it works. Thread-safety: after Create every method may be called from any thread
// (the metric objects are the registry's, which are thread-safe). Errors: Create returns the
// registry's InvalidArgument when a metric cannot be registered.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/metrics/metrics.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace optimystic::transport {

// Why a message failed, the `kind` label of optimystic_transport_errors_total.
enum class TransportErrorKind : uint8_t {
  kTimeout = 0,   // a request's deadline passed
  kRefused = 1,   // no peer at the URL, or the connection was reset before a reply
  kClosed = 2,    // the transport was closed with the request in flight
  kTooLarge = 3,  // a message over the size limit, sent or received
  kProtocol = 4,  // malformed bytes on a connection (the connection is dropped)
  kTls = 5,       // a TLS handshake or certificate failure
  kIo = 6,        // any other socket error
};
inline constexpr size_t kTransportErrorKinds = 7;

inline constexpr std::string_view TransportErrorKindName(TransportErrorKind kind) {
  constexpr std::array<std::string_view, kTransportErrorKinds> kNames = {
      "timeout", "refused", "closed", "too_large", "protocol", "tls", "io"};
  return kNames[static_cast<size_t>(kind)];
}

class TransportMetrics final {
 public:
  // Upper bounds of the latency histogram, in seconds: 100 us to 10 s.
  static constexpr std::array<double, 11> kLatencyBoundsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 10.0};

  // Registers the metrics for the plugin named `transport` (e.g. "tcp").
  static Result<TransportMetrics> Create(metrics::MetricsRegistry& registry,
                                         std::string_view transport) noexcept {
    TransportMetrics m;
    const metrics::Labels labels = {{"transport", std::string(transport)}};
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        m.messages_sent_, registry.AddCounter("optimystic_transport_messages_sent_total",
                                              "Messages sent (requests and replies)", labels));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        m.messages_received_,
        registry.AddCounter("optimystic_transport_messages_received_total",
                            "Messages received (requests and replies)", labels));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        m.bytes_sent_,
        registry.AddCounter("optimystic_transport_sent_bytes_total", "Payload bytes sent", labels));
    OPTIMYSTIC_ASSIGN_OR_RETURN(m.bytes_received_,
                                registry.AddCounter("optimystic_transport_received_bytes_total",
                                                    "Payload bytes received", labels));
    for (size_t i = 0; i < kTransportErrorKinds; ++i) {
      metrics::Labels error_labels = labels;
      error_labels.emplace_back(
          "kind", std::string(TransportErrorKindName(static_cast<TransportErrorKind>(i))));
      OPTIMYSTIC_ASSIGN_OR_RETURN(m.errors_[i],
                                  registry.AddCounter("optimystic_transport_errors_total",
                                                      "Transport errors by kind", error_labels));
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        m.request_duration_,
        registry.AddHistogram("optimystic_transport_request_duration_seconds",
                              "Client request latency, from send to reply or error", labels,
                              {kLatencyBoundsSeconds.begin(), kLatencyBoundsSeconds.end()}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(m.connections_,
                                registry.AddGauge("optimystic_transport_connections",
                                                  "Open connections, in and out", labels));
    return m;
  }

  void CountSent(uint64_t payload_bytes) noexcept {
    messages_sent_->Increment();
    bytes_sent_->Increment(static_cast<double>(payload_bytes));
  }
  void CountReceived(uint64_t payload_bytes) noexcept {
    messages_received_->Increment();
    bytes_received_->Increment(static_cast<double>(payload_bytes));
  }
  void CountError(TransportErrorKind kind) noexcept {
    errors_[static_cast<size_t>(kind)]->Increment();
  }
  void ObserveRequestSeconds(double seconds) noexcept { request_duration_->Observe(seconds); }
  void ConnectionOpened() noexcept { connections_->Increment(); }
  void ConnectionClosed() noexcept { connections_->Decrement(); }

 private:
  TransportMetrics() = default;

  metrics::Counter* messages_sent_ = nullptr;
  metrics::Counter* messages_received_ = nullptr;
  metrics::Counter* bytes_sent_ = nullptr;
  metrics::Counter* bytes_received_ = nullptr;
  std::array<metrics::Counter*, kTransportErrorKinds> errors_{};
  metrics::Histogram* request_duration_ = nullptr;
  metrics::Gauge* connections_ = nullptr;
};

}  // namespace optimystic::transport
