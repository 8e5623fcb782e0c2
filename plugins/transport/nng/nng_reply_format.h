// SPDX-License-Identifier: Apache-2.0
// The body of every reply the nng transport sends, so that a handler's Fail reaches the caller
// as an error rather than as bytes. A reply is one status byte followed by the rest:
//   status (1 byte): 0 = OK, otherwise an optimystic StatusCode (1..10)
//   rest:            OK: the reply payload, as the handler gave it
//                    error: the error message (UTF-8, no terminator)
// Requests carry the payload alone, with no prefix, so a third-party nng req client (nngcat)
// can send one. nng's own request id travels in the SP header and is not part of the body.
// Thread-safety: pure functions. Errors: DecodeReply returns Corruption for an empty body or an
// unknown status byte; the error a reply carries is returned as that Status.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace optimystic::plugins::transport_nng {

// Bytes the reply format adds to a payload.
inline constexpr uint64_t kReplyOverheadBytes = 1;

// "\0" + payload.
std::string EncodeOkReply(std::string_view payload);
// code + message. REQUIRES: !error.ok()
std::string EncodeErrorReply(const Status& error);
// The payload of an OK reply, the Status an error reply carries, or Corruption.
Result<std::string> DecodeReply(std::string_view body);

}  // namespace optimystic::plugins::transport_nng
