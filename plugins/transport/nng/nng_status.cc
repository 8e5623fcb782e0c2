// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_status.h"

#include <nng/nng.h>

#include <string>

namespace optimystic::plugins::transport_nng {

using transport::TransportErrorKind;

Status NngStatus(int rv, std::string_view context) {
  std::string message(context);
  message += ": nng: ";
  switch (rv) {
    case NNG_EPEERAUTH:
    case NNG_ECRYPTO:
      message += "TLS: ";
      message += nng_strerror(rv);
      return Status::Unavailable(message);
    default:
      break;
  }
  message += nng_strerror(rv);
  switch (rv) {
    case NNG_ETIMEDOUT:
      return Status::TimedOut(message);
    case NNG_ECONNREFUSED:
    case NNG_ECONNRESET:
    case NNG_ECONNABORTED:
    case NNG_ECLOSED:
    case NNG_EUNREACHABLE:
    case NNG_EADDRINUSE:
      return Status::Unavailable(message);
    case NNG_EMSGSIZE:
    case NNG_EADDRINVAL:
    case NNG_EINVAL:
    case NNG_ENOTSUP:
      return Status::InvalidArgument(message);
    case NNG_EPERM:
    case NNG_ENOENT:
    case NNG_ENOMEM:
    default:
      return Status::IOError(message);
  }
}

TransportErrorKind NngErrorKind(int rv) noexcept {
  switch (rv) {
    case NNG_ETIMEDOUT:
      return TransportErrorKind::kTimeout;
    case NNG_ECONNREFUSED:
    case NNG_ECONNRESET:
    case NNG_ECONNABORTED:
    case NNG_EUNREACHABLE:
      return TransportErrorKind::kRefused;
    case NNG_ECLOSED:
      return TransportErrorKind::kClosed;
    case NNG_EMSGSIZE:
      return TransportErrorKind::kTooLarge;
    case NNG_EPROTO:
      return TransportErrorKind::kProtocol;
    case NNG_EPEERAUTH:
    case NNG_ECRYPTO:
      return TransportErrorKind::kTls;
    default:
      return TransportErrorKind::kIo;
  }
}

}  // namespace optimystic::plugins::transport_nng
