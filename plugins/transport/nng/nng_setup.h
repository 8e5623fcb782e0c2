// SPDX-License-Identifier: Apache-2.0
// NngSetup: what the nng transport's server and client halves share: the options, the metrics,
// the host's log and clock. Owned by NngTransport, which outlives both halves' use of it (its
// Close finishes every nng callback before it returns). Thread-safety: read-only after
// construction; the metrics and the logger are thread-safe. Errors: none.
#pragma once

#include <optimystic/logging/logger.h>
#include <optimystic/time/clock.h>
#include <optimystic/transport/transport_metrics.h>

#include "transport/nng/nng_options.h"
#include "transport/nng/nng_reply_format.h"

#include <optimystic/base/status.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace optimystic::plugins::transport_nng {

// Room for the SP header in front of a body (the 4-byte request id, more through devices) on
// top of the reply format's status byte, so that nng's receive limit never cuts a message the
// transport itself would accept; the transport checks the exact limit on the body.
inline constexpr uint64_t kHeaderSlackBytes = 64;

struct NngSetup {
  NngSetup(NngOptions options_in, transport::TransportMetrics metrics_in,
           logging::Logger& logger_in, const time::Clock& clock_in)
      : options(std::move(options_in)), metrics(metrics_in), logger(logger_in), clock(clock_in) {}

  uint64_t receive_limit_bytes() const noexcept {
    return options.max_message_bytes + kReplyOverheadBytes + kHeaderSlackBytes;
  }

  // InvalidArgument("<what> of <bytes> bytes is too large (max_message_bytes <max>)").
  Status TooLarge(std::string_view what, uint64_t bytes) const {
    return Status::InvalidArgument(std::string(what) + " of " + std::to_string(bytes) +
                                   " bytes is too large (max_message_bytes " +
                                   std::to_string(options.max_message_bytes) + ")");
  }

  NngOptions options;
  transport::TransportMetrics metrics;
  logging::Logger& logger;
  const time::Clock& clock;
};

}  // namespace optimystic::plugins::transport_nng
