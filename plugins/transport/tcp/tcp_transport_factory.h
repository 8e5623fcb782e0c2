// SPDX-License-Identifier: Apache-2.0
// TcpTransportFactory: the TransportFactory the `transport.tcp` plugin offers (plugin.cc), also
// used directly by the tests. It reads the plugin's settings (README.md lists them) into
// TcpTransportOptions and creates a TcpTransport that publishes TransportMetrics under
// transport="tcp". Thread-safety: stateless; Validate and Create may be called from any thread.
// Errors: InvalidArgument naming the setting's YAML location (and, for TLS files, the path and
// why it cannot be used); Create adds the transport's own errors (tcp_transport.h).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>
#include <optimystic/transport/transport.h>

#include "transport/tcp/tcp_transport.h"

#include <memory>

namespace optimystic::plugins::transport_tcp {

// The options `settings` describe; checks that the TLS files exist and load.
Result<TcpTransportOptions> ParseTcpTransportOptions(const config::Settings& settings);

class TcpTransportFactory final : public transport::TransportFactory {
 public:
  Status Validate(const config::Settings& settings) const noexcept override;
  Result<std::unique_ptr<transport::Transport>> Create(const config::Settings& settings,
                                                       host::HostServices& host) noexcept override;
};

}  // namespace optimystic::plugins::transport_tcp
