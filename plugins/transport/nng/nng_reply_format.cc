// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_reply_format.h"

#include <cstdio>

namespace optimystic::plugins::transport_nng {

std::string EncodeOkReply(std::string_view payload) {
  std::string body;
  body.reserve(payload.size() + kReplyOverheadBytes);
  body.push_back('\0');
  body.append(payload);
  return body;
}

std::string EncodeErrorReply(const Status& error) {
  std::string body;
  body.push_back(static_cast<char>(error.code()));
  body.append(error.message());
  return body;
}

Result<std::string> DecodeReply(std::string_view body) {
  if (body.empty()) return Status::Corruption("empty reply (no status byte)");
  const auto status = static_cast<uint8_t>(body[0]);
  if (status == 0) return std::string(body.substr(1));
  if (status > static_cast<uint8_t>(StatusCode::kInternal)) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", status);
    return Status::Corruption(std::string("reply with unknown status byte ") + hex);
  }
  return Status(static_cast<StatusCode>(status), body.substr(1));
}

}  // namespace optimystic::plugins::transport_nng
