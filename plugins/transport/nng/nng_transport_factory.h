// SPDX-License-Identifier: Apache-2.0
// NngTransportFactory: the TransportFactory the transport.nng plugin offers (plugin.cc), also
// used directly by tests. Validate reads the settings (NngOptions, including the TLS files);
// Create makes an NngTransport with them. Thread-safety: stateless; any thread. Errors: the
// settings' located errors (nng_options.h), or the metrics registry's.
#pragma once

#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>
#include <optimystic/transport/transport.h>

#include <memory>

namespace optimystic::plugins::transport_nng {

class NngTransportFactory final : public transport::TransportFactory {
 public:
  Status Validate(const config::Settings& settings) const noexcept override;
  Result<std::unique_ptr<transport::Transport>> Create(const config::Settings& settings,
                                                       host::HostServices& host) noexcept override;
};

}  // namespace optimystic::plugins::transport_nng
