// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_transport.h"

#include "transport/nng/nng_url.h"

#include <chrono>
#include <utility>

namespace optimystic::plugins::transport_nng {

Result<std::unique_ptr<NngTransport>> NngTransport::Create(NngOptions options,
                                                           host::HostServices& host) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(transport::TransportMetrics metrics,
                              transport::TransportMetrics::Create(host.metrics(), "nng"));
  auto setup = std::make_unique<NngSetup>(std::move(options), metrics, host.logger(), host.clock());
  return std::unique_ptr<NngTransport>(new NngTransport(std::move(setup)));
}

NngTransport::NngTransport(std::unique_ptr<NngSetup> setup) noexcept
    : setup_(std::move(setup)), client_(*setup_) {}

NngTransport::~NngTransport() { (void)Close(); }

Result<std::string> NngTransport::Listen(std::string_view url,
                                         transport::RequestHandler& handler) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(NngUrl parsed, ParseNngUrl(url));
  if (parsed.tls() &&
      (!setup_->options.tls.has_value() || setup_->options.tls->server.get() == nullptr)) {
    return Status::InvalidArgument("listen " + parsed.text +
                                   ": tls+tcp:// needs the transport's tls settings with "
                                   "ca_file, cert_file and key_file");
  }
  std::lock_guard lock(mu_);
  if (closed_) return Status::Unavailable("listen " + parsed.text + ": transport closed");
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::shared_ptr<NngServer> server,
                              NngServer::Start(parsed, handler, *setup_));
  setup_->logger.Log(logging::LogLevel::kInfo,
                     "transport.nng: listening on " + server->bound_url());
  std::string bound = server->bound_url();
  servers_.push_back(std::move(server));
  return bound;
}

void NngTransport::Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
                           transport::ReplyCallback& callback) noexcept {
  client_.Request(url, request, deadline_unix_ms, callback);
}

Status NngTransport::Close() noexcept {
  std::vector<std::shared_ptr<NngServer>> servers;
  {
    std::lock_guard lock(mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
    servers.swap(servers_);
  }
  const std::chrono::milliseconds drain(setup_->options.close_drain_ms);
  for (const std::shared_ptr<NngServer>& server : servers) server->Close(drain);
  client_.Close();
  return Status::Ok();
}

}  // namespace optimystic::plugins::transport_nng
