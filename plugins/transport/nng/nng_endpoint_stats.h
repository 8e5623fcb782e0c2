// SPDX-License-Identifier: Apache-2.0
// NngEndpointStats: what nng's statistics say went wrong on one dialer or listener. nng handles
// connection failures inside the library: a non-blocking dialer never tells its caller why it
// has no connection, and a listener drops a connection that breaks the SP or TLS handshake
// without telling anyone. These counters are the only record, so the client reads them to say
// why a request found no connection, and the server polls them to log dropped connections.
// Thread-safety: Read* take a snapshot of nng's statistics; any thread. Errors: Read* return
// nullopt when nng keeps no statistics or no longer knows the endpoint.
#pragma once

#include <optimystic/transport/transport_metrics.h>

#include <nng/nng.h>

#include <cstdint>
#include <optional>
#include <string>

namespace optimystic::plugins::transport_nng {

struct NngEndpointStats {
  uint64_t refused = 0;    // connection refused (dialers)
  uint64_t timeout = 0;    // connect or handshake timed out
  uint64_t auth = 0;       // TLS peer authentication failed
  uint64_t proto = 0;      // SP or TLS handshake broken: garbage, another protocol, TLS refused
  uint64_t other = 0;      // any other error, including unreachable hosts and closed connections
  uint64_t too_large = 0;  // connections dropped for a message over the receive limit

  static std::optional<NngEndpointStats> ReadDialer(nng_dialer dialer) noexcept;
  static std::optional<NngEndpointStats> ReadListener(nng_listener listener) noexcept;

  // The counts that grew since `before`.
  NngEndpointStats Since(const NngEndpointStats& before) const noexcept;
  uint64_t total() const noexcept { return refused + timeout + auth + proto + other + too_large; }
  // "3 refused, 1 TLS authentication", or "" when every count is 0.
  std::string Describe() const;
  // The metric kind of a dialer's failures: tls when a TLS step failed on a tls+tcp:// dialer.
  transport::TransportErrorKind DialKind(bool tls) const noexcept;
};

}  // namespace optimystic::plugins::transport_nng
