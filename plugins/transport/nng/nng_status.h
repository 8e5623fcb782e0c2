// SPDX-License-Identifier: Apache-2.0
// Turns nng error numbers into Status values and metric kinds: the one place that knows which
// nng errors mean what to a caller. NNG_ETIMEDOUT is TimedOut; refused, reset and closed
// connections are Unavailable; NNG_EMSGSIZE is InvalidArgument; TLS failures (NNG_EPEERAUTH,
// NNG_ECRYPTO) are Unavailable with "TLS" in the message; bad addresses are InvalidArgument;
// anything else is IOError. Every message is "<context>: nng: <nng_strerror>".
// Thread-safety: pure functions.
#pragma once

#include <optimystic/base/status.h>
#include <optimystic/transport/transport_metrics.h>

#include <string_view>

namespace optimystic::plugins::transport_nng {

// REQUIRES: rv != 0
Status NngStatus(int rv, std::string_view context);
// The metric kind an nng error counts as.
transport::TransportErrorKind NngErrorKind(int rv) noexcept;

}  // namespace optimystic::plugins::transport_nng
