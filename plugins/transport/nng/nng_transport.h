// SPDX-License-Identifier: Apache-2.0
// NngTransport: the Transport contract on nng (https://nng.nanomsg.org) req/rep sockets, over
// tcp://, ipc:// and, with the `tls` settings, tls+tcp:// with mutual authentication (both
// sides present a certificate signed by the configured CA; a peer without one, or with one from
// another CA, is refused during the handshake). Each Listen() is an NngServer, all Request()s go
// through one NngClient; see those headers for how requests, deadlines and Close behave, and
// nng_reply_format.h for the reply body. Messages are limited to max_message_bytes both ways.
// Thread-safety: every method may be called from any thread (not Close from a handler or a
// callback). Errors: as transport.h says; nng's errors are mapped as nng_status.h says.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/host/host_services.h>
#include <optimystic/transport/transport.h>

#include "transport/nng/nng_client.h"
#include "transport/nng/nng_options.h"
#include "transport/nng/nng_server.h"
#include "transport/nng/nng_setup.h"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::plugins::transport_nng {

class NngTransport final : public transport::Transport {
 public:
  // Registers the metrics (transport="nng") in the host's registry.
  static Result<std::unique_ptr<NngTransport>> Create(NngOptions options,
                                                      host::HostServices& host) noexcept;
  ~NngTransport() override;

  Result<std::string> Listen(std::string_view url,
                             transport::RequestHandler& handler) noexcept override;
  void Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
               transport::ReplyCallback& callback) noexcept override;
  // Idempotent; later calls return OK.
  Status Close() noexcept override;

 private:
  explicit NngTransport(std::unique_ptr<NngSetup> setup) noexcept;

  std::unique_ptr<NngSetup> setup_;  // declared first: destroyed after both halves
  NngClient client_;
  std::mutex mu_;
  bool closed_ = false;
  std::vector<std::shared_ptr<NngServer>> servers_;
};

}  // namespace optimystic::plugins::transport_nng
