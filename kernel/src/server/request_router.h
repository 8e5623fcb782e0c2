// SPDX-License-Identifier: Apache-2.0
// RequestRouter: the handler the node gives its transport. Until the wire protocol lands
// (TODO(#5)) it answers every request with NotSupported, so that a client gets a clear error
// rather than silence. Thread-safety: stateless; called from the transport's threads.
#pragma once

#include <optimystic/transport/transport.h>

namespace optimystic::server {

class RequestRouter final : public transport::RequestHandler {
 public:
  void OnRequest(std::string_view, transport::Responder& responder) noexcept override {
    responder.Fail(Status::NotSupported("this node serves no requests yet"));
  }
};

}  // namespace optimystic::server
