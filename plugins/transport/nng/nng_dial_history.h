// SPDX-License-Identifier: Apache-2.0
// NngDialHistory: why a dialer has no connection, read from nng's statistics for it, so that a
// request that found no connection can say whether the peer refused, timed out or failed the TLS
// handshake (a non-blocking dialer reports none of these to its caller).
// Thread-safety: Read takes a snapshot of nng's statistics; any thread. Errors: Read returns
// nullopt when nng keeps no statistics or no longer knows the dialer.
#pragma once

#include <optimystic/transport/transport_metrics.h>

#include <nng/nng.h>

#include <cstdint>
#include <optional>
#include <string>

namespace optimystic::plugins::transport_nng {

struct NngDialHistory {
  uint64_t refused = 0;  // connection refused
  uint64_t timeout = 0;  // connect or handshake timed out
  uint64_t auth = 0;     // TLS peer authentication failed
  uint64_t proto = 0;    // SP or TLS handshake broken (a TLS peer refusing us looks like this)
  uint64_t other = 0;    // any other error, including unreachable hosts and closed connections

  static std::optional<NngDialHistory> Read(nng_dialer dialer) noexcept;
  // "failed attempts: 3 refused, 1 TLS authentication", or "" when nothing failed yet.
  std::string Describe() const;
  // The metric kind of the failure: tls when any TLS step failed on a tls+tcp:// dialer.
  transport::TransportErrorKind Kind(bool tls) const noexcept;
};

}  // namespace optimystic::plugins::transport_nng
